"""Sealing OpenAI Agents SDK function tools (`openai-agents`).

The runner invokes every `FunctionTool` through one function, `_invoke_function_tool_with_metadata`
(its tool-execution step imports it; `invoke_function_tool`, which realtime sessions use,
calls it in `agents.tool`), so both names are replaced. A sealed call runs that function on a
copy of the tool whose `on_invoke_tool` answers from the recording: the SDK's timeout and
result handling stay its own, the model is given the recorded output as a string, and a
recorded failure goes through the tool's failure-error function as a raised error would.
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
from typing import Any

from otel_replay.core.errors import OtelReplayError
from otel_replay.replay.adapters.patching import Patches
from otel_replay.replay.sealing import resolve_playback
from otel_replay.replay.tools import SealedCall, result_text

_INVOKE = "_invoke_function_tool_with_metadata"
# An optional framework, imported only when installed (see the package docstring).
agents_tool = importlib.import_module("agents.tool")
tool_execution = importlib.import_module("agents.run_internal.tool_execution")


def _arguments(arguments: str) -> dict[str, Any]:
    """The model's JSON arguments; anything else (the SDK rejects it later) under `input`."""
    try:
        parsed = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {"input": arguments}
    return parsed if isinstance(parsed, dict) else {"input": parsed}


def _stand_in(function_tool: Any, call: SealedCall) -> Any:
    """A copy of the tool that answers from the recording (the copy is this call's own)."""

    # The SDK reads the context type it passes from this signature: any but RunContextWrapper
    # gets the whole ToolContext.
    async def answer(context: Any, arguments: str) -> Any:
        try:
            return result_text(call.answer())
        except OtelReplayError as error:
            handled = await agents_tool.maybe_invoke_function_tool_failure_error_function(
                function_tool=function_tool, context=context, error=error
            )
            if handled is None:
                raise
            return handled

    stand_in = copy.copy(function_tool)
    stand_in.on_invoke_tool = answer
    return stand_in


def install() -> Patches:
    """Route the SDK's function-tool invocation through the sealed-call path."""
    invoke = getattr(agents_tool, _INVOKE)

    @functools.wraps(invoke)
    async def sealed_invoke(*, function_tool: Any, context: Any, arguments: str) -> Any:
        if resolve_playback(function_tool.name).playback is None:
            return await invoke(function_tool=function_tool, context=context, arguments=arguments)
        call = SealedCall(function_tool.name, _arguments(arguments))
        if not call.sealed:
            return await call.arun(
                lambda: invoke(function_tool=function_tool, context=context, arguments=arguments),
                shown=lambda result: getattr(result, "output", result),
            )
        stand_in = _stand_in(function_tool, call)
        return await invoke(function_tool=stand_in, context=context, arguments=arguments)

    patches = Patches()
    for module in (agents_tool, tool_execution):
        patches.replace(module, _INVOKE, sealed_invoke)
    return patches
