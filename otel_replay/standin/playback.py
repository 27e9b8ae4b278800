"""The stand-in's state: the current turn, which recorded calls were served, the exchange log.

`Playback` holds no sockets and can be driven directly; `StandIn` wraps it in an HTTP
server. It is safe to use from the server's request threads and the caller's thread at once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from otel_replay.standin.cassette import Cassette
from otel_replay.standin.matchers import DEFAULT_MATCH_ON, match_request, resolve_matchers
from otel_replay.standin.model import (
    Divergence,
    LlmRequest,
    RecordedExchange,
    StandInExchange,
)


class Playback:
    """Answers requests from the recorded calls of the current turn, each call once, in
    recording order among equal matches. `set_turn(i)` makes turn i current (0-based, the
    turn's position in the scenario) and rewinds it, so a turn replayed again is answered
    again; the exchange log keeps every request until `clear()`."""

    def __init__(
        self,
        cassette: Cassette,
        match_on: Sequence[str] = DEFAULT_MATCH_ON,
        *,
        follow_turns: bool = False,
    ) -> None:
        self.cassette = cassette
        # An agent run by hand has no runner to set the turn: a request that matches nothing
        # in the current turn may match a later one, which then becomes current.
        self.follow_turns = follow_turns
        self.match_on = tuple(match_on)
        self._matchers = resolve_matchers(self.match_on)
        self._lock = threading.Lock()
        self._turn = 0
        self._served: dict[int, set[int]] = {}
        self._log: list[StandInExchange] = []

    @property
    def turn(self) -> int:
        """The current turn's index."""
        with self._lock:
            return self._turn

    def set_turn(self, index: int) -> None:
        """Answer from turn `index` from now on, starting again from its first call."""
        if index < 0:
            raise ValueError(f"turn index {index} is negative; turns count from 0")
        with self._lock:
            self._turn = index
            self._served[index] = set()

    def match(
        self, request: LlmRequest, turn: int | None = None
    ) -> tuple[int, RecordedExchange | Divergence]:
        """The turn (`turn`, else the current one) and the recorded call that answers
        `request` (now marked served), or the Divergence that says why none does."""
        with self._lock:
            current = self._turn if turn is None else turn
            found = self._match_in(current, request)
            if isinstance(found, Divergence) and turn is None and self.follow_turns:
                for later in range(current + 1, len(self.cassette.turns)):
                    self._served[later] = set()
                    candidate = self._match_in(later, request)
                    if isinstance(candidate, RecordedExchange):
                        self._turn = current = later
                        found = candidate
                        break
            if isinstance(found, RecordedExchange):
                self._served[current].add(found.index)
            return current, found

    def _match_in(self, turn: int, request: LlmRequest) -> RecordedExchange | Divergence:
        served = self._served.setdefault(turn, set())
        return match_request(turn, request, self.cassette.turn(turn), served, self._matchers)

    def log(self, exchange: StandInExchange) -> None:
        with self._lock:
            self._log.append(exchange)

    def exchanges(self, turn: int | None = None) -> list[StandInExchange]:
        """The exchanges so far, in arrival order: all, or those of turn `turn`."""
        with self._lock:
            return [e for e in self._log if turn is None or e.turn_index == turn]

    def divergences(self, turn: int | None = None) -> list[Divergence]:
        """The misses so far (answered live in hybrid mode, refused in recorded mode)."""
        return [e.divergence for e in self.exchanges(turn) if e.divergence is not None]

    def clear(self) -> None:
        """Forget the log and which calls were served; the current turn stays."""
        with self._lock:
            self._log.clear()
            self._served.clear()

    def unserved(self, turn: int) -> list[RecordedExchange]:
        """The recorded calls of turn `turn` no request has been answered with yet."""
        with self._lock:
            served = self._served.get(turn, set())
            return [e for e in self.cassette.turn(turn) if e.index not in served]
