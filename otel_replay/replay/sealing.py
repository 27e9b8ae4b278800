"""Where a sealed tool finds its recording: its turn's context, else the active replays.

Each turn's playback is a context variable, which tasks, `asyncio.to_thread` and
`copy_context().run` inherit, but plain threads, thread pools and `run_in_executor` do not.
So every replay also registers itself process-wide while it runs. A tool call without a
playback in its context is tied to a replay by its OpenTelemetry trace, else to the only
replay running; when several run and nothing says which one the call belongs to, it is
refused: a recorded tool never runs for real while a replay is active in the process.

For the same reason a span that starts a new trace while exactly one replay is in a turn
(an agent's work on a thread without the OTel context) is adopted by that turn: the capture
files its trace under the turn span.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context

from otel_replay.core.errors import OtelReplayError
from otel_replay.replay.matchers import ToolPlayback

_PLAYBACK: contextvars.ContextVar[ToolPlayback | None] = contextvars.ContextVar(
    "otel_replay_tool_playback", default=None
)
_REGISTRY_LOCK = threading.Lock()
_ACTIVE: dict[int, ActiveReplay] = {}  # by the replay's trace id


class UnattributedToolCallError(OtelReplayError):
    """A tool was called during a replay where no replay turn could be found for it."""


@dataclass(frozen=True)
class SealedTurn:
    """The turn a replay is in: its playback, and the turn span's context for tool spans."""

    playback: ToolPlayback
    otel_context: Context


class ActiveReplay:
    """One replay running in this process, and the turn it is in (None between turns)."""

    def __init__(self, trace_id: int, live_tools: frozenset[str]) -> None:
        self.trace_id = trace_id
        self.live_tools = live_tools
        self._turn: SealedTurn | None = None
        self._adopted: set[int] = set()  # traces begun off-context during its turns

    def owns_trace(self, trace_id: int) -> bool:
        """Whether spans of `trace_id` are this replay's: its own trace or one it adopted."""
        with _REGISTRY_LOCK:
            return trace_id == self.trace_id or trace_id in self._adopted

    @property
    def turn(self) -> SealedTurn | None:
        with _REGISTRY_LOCK:
            return self._turn

    def _enter(self, turn: SealedTurn | None) -> None:
        with _REGISTRY_LOCK:
            self._turn = turn


@dataclass(frozen=True)
class Adoption:
    """A trace begun off-context during a turn: the replay's trace and the turn span it joins."""

    replay_trace_id: int
    turn_span_id: int


@dataclass(frozen=True)
class Resolution:
    """The playback a tool call answers from (None: no replay), and, when the call was tied
    to its turn through the registry, the turn's context for its span to join the turn."""

    playback: ToolPlayback | None
    parent: Context | None = None


@contextmanager
def tool_playback(playback: ToolPlayback | None) -> Iterator[ToolPlayback | None]:
    """Make `playback` the recording that decorated tools answer from, in this context."""
    token = _PLAYBACK.set(playback)
    try:
        yield playback
    finally:
        _PLAYBACK.reset(token)


def current_playback() -> ToolPlayback | None:
    return _PLAYBACK.get()


@contextmanager
def active_replay(trace_id: int, live_tools: frozenset[str]) -> Iterator[ActiveReplay]:
    """Register a replay (by its trace id) as running in this process."""
    replay = ActiveReplay(trace_id, live_tools)
    with _REGISTRY_LOCK:
        _ACTIVE[trace_id] = replay
    try:
        yield replay
    finally:
        with _REGISTRY_LOCK:
            _ACTIVE.pop(trace_id, None)


@contextmanager
def sealed_turn(replay: ActiveReplay, playback: ToolPlayback) -> Iterator[ToolPlayback]:
    """Seal one turn: in this context, and for calls the registry ties to `replay`.

    Call inside the turn span, so that tool spans tied through the registry join it."""
    replay._enter(SealedTurn(playback, otel_context.get_current()))
    try:
        with tool_playback(playback):
            yield playback
    finally:
        replay._enter(None)


def _owner(replays: list[ActiveReplay], trace_id: int | None) -> ActiveReplay | None:
    """The replay a call in `trace_id` belongs to: by its own trace first, then by a trace it
    adopted, else the only replay running."""
    if trace_id is not None:
        exact = [r for r in replays if r.trace_id == trace_id]
        owners = exact or [r for r in replays if r.owns_trace(trace_id)]
        if owners:
            return owners[0]
    return replays[0] if len(replays) == 1 else None


def resolve_playback(tool_name: str) -> Resolution:
    """The playback a call of `tool_name` answers from, here; raises when a replay is active
    but the call cannot be tied to one of its turns."""
    playback = _PLAYBACK.get()
    if playback is not None:
        return Resolution(playback)
    with _REGISTRY_LOCK:
        replays = list(_ACTIVE.values())
    if not replays:
        return Resolution(None)
    span_context = trace.get_current_span().get_span_context()
    trace_id = span_context.trace_id if span_context.is_valid else None
    owner = _owner(replays, trace_id)
    if owner is not None:
        turn = owner.turn
        if turn is not None:
            # A span in a trace of the replay keeps its parent; others join the turn.
            in_trace = trace_id is not None and owner.owns_trace(trace_id)
            return Resolution(turn.playback, None if in_trace else turn.otel_context)
        if tool_name in owner.live_tools:
            return Resolution(None)
        raise UnattributedToolCallError(
            f"tool {tool_name} was called between the turns of a replay; it was refused "
            "rather than run for real"
        )
    if all(tool_name in r.live_tools for r in replays):
        return Resolution(None)
    message = (
        f"tool {tool_name} was called during a replay, but the call could not be tied to a "
        f"replay turn: {len(replays)} replays are running in this process and the calling "
        "thread carries neither a turn's context nor its trace, so the call was refused rather "
        "than run for real; start the thread with contextvars.copy_context().run, or use "
        "asyncio.to_thread, so that it inherits its turn"
    )
    for replay in replays:
        turn = replay.turn
        if turn is not None:
            turn.playback.refuse(message)
    raise UnattributedToolCallError(message)


def adopt_trace(trace_id: int) -> Adoption | None:
    """Adopt a trace that a span starts now, when exactly one replay is running and in a turn:
    the agent started it on a thread without the turn's context. None otherwise (with several
    replays running, nothing says whose it is)."""
    with _REGISTRY_LOCK:
        if len(_ACTIVE) != 1:
            return None
        (replay,) = _ACTIVE.values()
        turn = replay._turn
        if turn is None or trace_id == replay.trace_id:
            return None
        replay._adopted.add(trace_id)
    turn_span = trace.get_current_span(turn.otel_context).get_span_context()
    return Adoption(replay.trace_id, turn_span.span_id)
