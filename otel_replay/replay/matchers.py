"""Small named matchers between a live tool call and the recorded calls of a turn."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class RecordedToolCall:
    """A tool call as recorded in the original session, ready to be played back."""

    name: str
    arguments: dict[str, Any]
    result: Any = None
    error: str | None = None
    call_id: str = ""
    trace_id: str = ""
    span_id: str = ""


@dataclass(frozen=True)
class LiveToolCall:
    """A tool call the replayed agent makes; `order` counts earlier calls of the same name."""

    name: str
    arguments: dict[str, Any]
    order: int


class ToolMatchMode(StrEnum):
    """How a live call must resemble a recorded one to be served its result."""

    STRICT = "strict"  # same name and arguments
    LENIENT = "lenient"  # same name, same position among calls of that name


# A matcher returns None when the calls agree, else what differs, in words.
Matcher = Callable[[LiveToolCall, RecordedToolCall, int], str | None]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def match_name(live: LiveToolCall, recorded: RecordedToolCall, recorded_order: int) -> str | None:
    return None if live.name == recorded.name else f"name {live.name!r} != {recorded.name!r}"


def match_arguments(
    live: LiveToolCall, recorded: RecordedToolCall, recorded_order: int
) -> str | None:
    if canonical_json(live.arguments) == canonical_json(recorded.arguments):
        return None
    keys = sorted(set(live.arguments) | set(recorded.arguments))
    changed = []
    for k in keys:
        now, then = canonical_json(live.arguments.get(k)), canonical_json(recorded.arguments.get(k))
        if now != then:
            changed.append(f"{k}={now} (recorded {then})")
    return "arguments differ: " + ", ".join(changed)


def match_order(live: LiveToolCall, recorded: RecordedToolCall, recorded_order: int) -> str | None:
    if live.order == recorded_order:
        return None
    return f"call #{live.order + 1} of {live.name!r}, recorded as #{recorded_order + 1}"


MATCHERS: dict[ToolMatchMode, tuple[Matcher, ...]] = {
    ToolMatchMode.STRICT: (match_name, match_arguments),
    ToolMatchMode.LENIENT: (match_name, match_order),
}


@dataclass(frozen=True)
class NearMiss:
    recorded: RecordedToolCall
    differences: tuple[str, ...]


@dataclass(frozen=True)
class ToolDivergence:
    """A live call that matched no recorded call: what was asked and the closest recordings."""

    turn_index: int
    call: LiveToolCall
    mode: ToolMatchMode
    closest: tuple[NearMiss, ...]

    def describe(self) -> str:
        args = canonical_json(self.call.arguments)
        text = (
            f"turn {self.turn_index + 1}: {self.call.name}({args}) "
            f"matches no recorded call ({self.mode})"
        )
        if not self.closest:
            return text + "; no tool calls were recorded in this turn"
        near = "; ".join(
            f"{m.recorded.name}({canonical_json(m.recorded.arguments)}): {', '.join(m.differences)}"
            for m in self.closest
        )
        return f"{text}; closest: {near}"


@dataclass
class ToolPlayback:
    """The recorded calls of one turn, served once each to matching live calls.

    The agent may call tools from several threads at once: every method holds one lock."""

    turn_index: int
    recorded: Sequence[RecordedToolCall]
    mode: ToolMatchMode = ToolMatchMode.STRICT
    live_tools: frozenset[str] = frozenset()
    served: list[tuple[LiveToolCall, RecordedToolCall]] = field(default_factory=list)
    divergences: list[ToolDivergence] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _used: set[int] = field(default_factory=set)
    _calls_by_name: dict[str, int] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def next_call(self, name: str, arguments: dict[str, Any]) -> LiveToolCall:
        with self._lock:
            order = self._calls_by_name.get(name, 0)
            self._calls_by_name[name] = order + 1
            return LiveToolCall(name, arguments, order)

    def call(
        self, name: str, arguments: dict[str, Any]
    ) -> tuple[LiveToolCall, RecordedToolCall | ToolDivergence | None]:
        """Count a live call and, unless the tool is live, match it (None: a live tool)."""
        with self._lock:
            live = self.next_call(name, arguments)
            return live, None if name in self.live_tools else self.match(live)

    def refuse(self, message: str) -> None:
        """Note a tool call that was refused because it could not be tied to a turn."""
        with self._lock:
            if message not in self.refused:
                self.refused.append(message)

    def match(self, call: LiveToolCall) -> RecordedToolCall | ToolDivergence:
        """Serve the first unused recorded call all matchers accept, else a divergence."""
        with self._lock:
            return self._match(call)

    def _match(self, call: LiveToolCall) -> RecordedToolCall | ToolDivergence:
        matchers = MATCHERS[self.mode]
        near: list[tuple[int, int, NearMiss]] = []
        order_by_name: dict[str, int] = {}
        for index, recorded in enumerate(self.recorded):
            recorded_order = order_by_name.get(recorded.name, 0)
            order_by_name[recorded.name] = recorded_order + 1
            differences = tuple(
                d for d in (m(call, recorded, recorded_order) for m in matchers) if d is not None
            )
            if not differences and index not in self._used:
                self._used.add(index)
                self.served.append((call, recorded))
                return recorded
            if index in self._used:
                differences = (*differences, "already served to an earlier call")
            near.append((len(differences), index, NearMiss(recorded, differences)))
        near.sort(key=lambda item: (item[0], item[1]))
        divergence = ToolDivergence(
            self.turn_index, call, self.mode, tuple(n for _, _, n in near[:3])
        )
        self.divergences.append(divergence)
        return divergence
