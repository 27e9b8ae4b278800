"""Sealing LangChain tools: every `BaseTool` runs through `BaseTool.run` or `BaseTool.arun`
(`invoke`, `ainvoke` and LangGraph's `ToolNode` all end there; subclasses implement `_run`).

A sealed call still goes through LangChain's own `run`, on a copy of the tool whose body
answers from the recording: callbacks (and the tracers built on them) see the tool start and
end, and the output is formatted as LangChain formats it, a `ToolMessage` for a tool call.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
from typing import Any

from opentelemetry import trace

from otel_replay.replay.adapters.patching import Patches
from otel_replay.replay.sealing import resolve_playback
from otel_replay.replay.tools import SealedCall, result_text

ToolInput = str | dict[str, Any]
# An optional framework, imported only when installed (see the package docstring).
BaseTool: Any = importlib.import_module("langchain_core.tools").BaseTool
# The config LangChain sets around a tool's body: its callbacks are the tool run's children.
_child_config: Any = importlib.import_module(
    "langchain_core.runnables.config"
).var_child_runnable_config


def _arguments(tool: Any, tool_input: ToolInput) -> dict[str, Any]:
    """The call's arguments as the model gave them: without injected ones (state, runtime,
    the call id), and a string input under the tool's only argument, as LangChain reads it."""
    if isinstance(tool_input, dict):
        return dict(tool._filter_injected_args(tool_input))
    names = list(tool.args)
    return {names[0] if len(names) == 1 else "input": tool_input}


def _returns_text(tool: Any) -> bool:
    """Whether the tool's function is declared to return `str` (a recording parses JSON text
    into objects, so a text result may come back as one)."""
    function = getattr(tool, "func", None) or getattr(tool, "coroutine", None)
    if not callable(function):
        return False
    try:
        returns = inspect.signature(function).return_annotation
    except (TypeError, ValueError):
        return False
    return returns in (str, "str")


def _tracer_span() -> trace.Span | None:
    """The span a LangChain tracer made for the tool run we are in, when the tracer keeps it
    out of the OpenTelemetry context (OpenInference's does, on purpose) but tells it by run
    id (`get_span`). Our span goes under it, so the tripwire sees the tracer's tool span
    wrapping a sealed call rather than a tool that ran."""
    config = _child_config.get()
    callbacks = config.get("callbacks") if isinstance(config, dict) else None
    run_id = getattr(callbacks, "parent_run_id", None)  # the tool's run, in its body
    if run_id is None:
        return None
    for handler in getattr(callbacks, "handlers", ()):
        get_span = getattr(handler, "get_span", None)
        span = get_span(run_id) if callable(get_span) else None
        if isinstance(span, trace.Span):
            return span
    return None


def _stand_in(tool: Any, call: SealedCall) -> Any:
    """A copy of `tool` whose body is the recording; the copy is the call's own, so tools
    called from several threads at once do not share it."""
    as_text = _returns_text(tool)

    def answer(*args: Any, **kwargs: Any) -> Any:
        tracer_span = _tracer_span()
        if tracer_span is None:
            result = call.answer()
        else:
            with trace.use_span(tracer_span, end_on_exit=False):
                result = call.answer()
        if as_text:
            result = result_text(result)
        # Only the content was sent to the model, so only the content was recorded.
        return (result, None) if tool.response_format == "content_and_artifact" else result

    async def answer_async(*args: Any, **kwargs: Any) -> Any:
        return answer()

    stand_in = copy.copy(tool)
    # Instance attributes, set past pydantic's validation: they shadow the class's methods.
    object.__setattr__(stand_in, "_run", answer)
    object.__setattr__(stand_in, "_arun", answer_async)
    return stand_in


def install() -> Patches:
    """Route `BaseTool.run` and `BaseTool.arun` through the sealed-call path."""
    run, arun = BaseTool.run, BaseTool.arun

    @functools.wraps(run)
    def sealed_run(self: Any, tool_input: ToolInput, *args: Any, **kwargs: Any) -> Any:
        if resolve_playback(self.name).playback is None:
            return run(self, tool_input, *args, **kwargs)
        call = SealedCall(self.name, _arguments(self, tool_input))
        if not call.sealed:
            return call.run(lambda: run(self, tool_input, *args, **kwargs))
        return run(_stand_in(self, call), tool_input, *args, **kwargs)

    @functools.wraps(arun)
    async def sealed_arun(self: Any, tool_input: ToolInput, *args: Any, **kwargs: Any) -> Any:
        if resolve_playback(self.name).playback is None:
            return await arun(self, tool_input, *args, **kwargs)
        call = SealedCall(self.name, _arguments(self, tool_input))
        if not call.sealed:
            return await call.arun(lambda: arun(self, tool_input, *args, **kwargs))
        return await arun(_stand_in(self, call), tool_input, *args, **kwargs)

    patches = Patches()
    patches.replace(BaseTool, "run", sealed_run)
    patches.replace(BaseTool, "arun", sealed_arun)
    return patches
