"""`otel_replay.tool`: an instrumented tool decorator that plays back recordings during a replay.

Outside a replay it runs the function inside an OTel GenAI `execute_tool` span. Inside one it
is sealed: it returns the recorded result of the matching recorded call and never runs the
function, unless the tool was named live (`--live-tools`). `sealing` finds the replay turn of
a call, from whatever thread the agent makes it.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar, overload

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from otel_replay.core.errors import OtelReplayError
from otel_replay.replay.matchers import LiveToolCall, RecordedToolCall, ToolDivergence
from otel_replay.replay.sealing import (
    UnattributedToolCallError,
    current_playback,
    resolve_playback,
    tool_playback,
)
from otel_replay.semconv.attributes import GenAI
from otel_replay.semconv.keys import REPLAY_LINK_TYPE_KEY as LINK_TYPE_KEY
from otel_replay.semconv.keys import (
    REPLAY_OF,
    REPLAY_TOOL_DIVERGENCE,
    REPLAY_TOOL_SOURCE,
    REPLAY_TOOL_TRACER_NAME,
)

P = ParamSpec("P")
R = TypeVar("R")

_TRACER_NAME = REPLAY_TOOL_TRACER_NAME


class UnmatchedToolCallError(OtelReplayError):
    """Raised into the agent when a sealed tool is called in a way the recording never was."""

    def __init__(self, divergence: ToolDivergence) -> None:
        super().__init__(divergence.describe())
        self.divergence = divergence


class RecordedToolError(OtelReplayError):
    """The recorded call failed; the replay raises the same error message."""


def replay_link(trace_id: str, span_id: str) -> Link | None:
    """A span link to an original span, marked as `replay_of`."""
    if len(trace_id) != 32 or len(span_id) != 16:
        return None
    context = SpanContext(
        int(trace_id, 16),
        int(span_id, 16),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return Link(context, {LINK_TYPE_KEY: REPLAY_OF})


def result_text(value: Any) -> str:
    """A tool's arguments or result as text: a string as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


def call_arguments(
    signature: inspect.Signature,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    skip_first: bool = False,
) -> dict[str, Any]:
    """The arguments of a call by parameter name, as a tool call records them; `skip_first`
    leaves out a method's `self` or `cls`."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return {"args": list(args[1:] if skip_first else args), **kwargs}
    arguments = dict(bound.arguments)
    if skip_first and arguments:
        del arguments[next(iter(arguments))]
    return arguments


class SealedCall:
    """One call of a tool: the replay turn it answers from (none outside a replay), its match
    among the recorded calls, and its `execute_tool` span.

    Every sealed tool goes through here: the `tool` decorator, sealed import paths and the
    framework adapters (`otel_replay.replay.adapters`). Creating one counts the call against
    its turn's recording, and raises when a replay is active but the call cannot be tied to
    one of its turns."""

    def __init__(self, name: str, arguments: dict[str, Any]) -> None:
        self.name = name
        self.arguments = arguments
        resolution = resolve_playback(name)
        self.playback = resolution.playback
        # Where the span goes when the call was tied to its turn from outside the turn's context.
        self.parent = resolution.parent
        self.sealed = self.playback is not None and name not in self.playback.live_tools
        self.live_call: LiveToolCall | None = None
        self.recorded: RecordedToolCall | ToolDivergence | None = None
        if self.playback is not None:
            self.live_call, self.recorded = self.playback.call(name, arguments)

    @property
    def replaying(self) -> bool:
        """Whether the call was made in a replay turn (sealed, or live by name)."""
        return self.playback is not None

    def span_arguments(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            GenAI.OPERATION_NAME: "execute_tool",
            GenAI.TOOL_NAME: self.name,
            GenAI.TOOL_TYPE: "function",
            GenAI.TOOL_CALL_ARGUMENTS: result_text(self.arguments),
        }
        links = []
        if isinstance(self.recorded, RecordedToolCall):
            attributes[REPLAY_TOOL_SOURCE] = "recorded"
            if self.recorded.call_id:
                attributes[GenAI.TOOL_CALL_ID] = self.recorded.call_id
            link = replay_link(self.recorded.trace_id, self.recorded.span_id)
            if link is not None:
                links.append(link)
        elif isinstance(self.recorded, ToolDivergence):
            attributes[REPLAY_TOOL_SOURCE] = "unmatched"  # refused: the function never ran
        elif self.playback is not None and not self.sealed:
            attributes[REPLAY_TOOL_SOURCE] = "live"
        return {
            "attributes": attributes,
            "links": links,
            "kind": SpanKind.INTERNAL,
            "context": self.parent,
        }

    @contextmanager
    def span(self) -> Iterator[trace.Span]:
        """The call's `execute_tool` span, current inside the block, failed by what it raises."""
        tracer = trace.get_tracer(_TRACER_NAME)
        with tracer.start_as_current_span(
            f"execute_tool {self.name}", record_exception=False, **self.span_arguments()
        ) as span:
            try:
                yield span
            except BaseException as exc:
                _fail(span, exc)
                raise

    def recorded_result(self, span: trace.Span) -> Any:
        """The recorded outcome; raises what the agent should see for errors and divergences."""
        if isinstance(self.recorded, ToolDivergence):
            span.set_attribute(REPLAY_TOOL_DIVERGENCE, self.recorded.describe())
            raise UnmatchedToolCallError(self.recorded)
        assert isinstance(self.recorded, RecordedToolCall)
        if self.recorded.error:
            raise RecordedToolError(self.recorded.error)
        return self.recorded.result

    def answer(self) -> Any:
        """The recorded result of a sealed call, under its span (raises as `recorded_result`)."""
        with self.span() as span:
            return _finish(span, self.recorded_result(span))

    def run(self, function: Callable[[], R], shown: Callable[[R], Any] = lambda r: r) -> R:
        """The recorded result when sealed, else `function()`, under the call's span;
        `shown(result)` is what the span records of a live result."""
        if self.sealed:
            return self.answer()  # type: ignore[no-any-return]
        with self.span() as span:
            result = function()
            _finish(span, shown(result))
            return result

    async def arun(
        self, function: Callable[[], Awaitable[R]], shown: Callable[[R], Any] = lambda r: r
    ) -> R:
        """`run` for a coroutine function."""
        if self.sealed:
            return self.answer()  # type: ignore[no-any-return]
        with self.span() as span:
            result = await function()
            _finish(span, shown(result))
            return result


def _finish(span: trace.Span, result: Any) -> Any:
    span.set_attribute(GenAI.TOOL_CALL_RESULT, result_text(result))
    return result


def _fail(span: trace.Span, exc: BaseException) -> None:
    span.set_status(Status(StatusCode.ERROR, str(exc)))
    span.set_attribute("error.type", type(exc).__qualname__)


def seal_function(
    function: Callable[P, R],
    name: str | None = None,
    *,
    skip_first: bool = False,
    span_outside_replay: bool = True,
) -> Callable[P, R]:
    """`function` (sync or async) as a sealed tool named `name` (by default its own name):
    in a replay turn it answers from the recording; outside a replay it runs, under an
    `execute_tool` span unless `span_outside_replay` is false. `skip_first`: a method, whose
    `self` or `cls` is not a tool argument."""
    tool_name = name or function.__name__
    signature = inspect.signature(function)

    def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> SealedCall | None:
        call = SealedCall(tool_name, call_arguments(signature, args, kwargs, skip_first=skip_first))
        return call if call.replaying or span_outside_replay else None

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            call = start(args, kwargs)
            if call is None:
                return await function(*args, **kwargs)
            return await call.arun(lambda: function(*args, **kwargs))

        return run_async  # type: ignore[return-value]

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        call = start(args, kwargs)
        if call is None:
            return function(*args, **kwargs)
        return call.run(lambda: function(*args, **kwargs))

    return run


@overload
def tool(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def tool(*, name: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def tool(func: Callable[P, R] | None = None, /, *, name: str | None = None) -> Any:
    """Decorate an agent's tool function (sync or async); see the module docstring."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        return seal_function(function, name)

    return decorate(func) if func is not None else decorate


__all__ = [
    "RecordedToolError",
    "SealedCall",
    "UnattributedToolCallError",
    "UnmatchedToolCallError",
    "call_arguments",
    "current_playback",
    "replay_link",
    "result_text",
    "seal_function",
    "tool",
    "tool_playback",
]
