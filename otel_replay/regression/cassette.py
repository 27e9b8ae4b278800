"""`cassette.json`: the LLM exchanges of a case's approved baseline, served back by `test`.

A case replays its agent against a recorded-model stand-in serving this file, so an
unchanged agent is tested offline, for free and the same way every time; only a request
the baseline never made reaches a model (`--llm hybrid`) or fails (`--llm recorded`).

The file is versioned and human-readable: per turn (0-based `turn`, as every otel-replay
file counts them; people read `turn + 1`), the exchanges in the order the baseline made
them, each the request as the stand-in normalised it and the answer served.

Record modes, after vcrpy's: `none` never writes the file, `new_episodes` appends the
exchanges this run got answered live, `all` rewrites it from this run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from otel_replay.scenario.model import Scenario
from otel_replay.standin import Cassette, ExchangeSource, LlmAnswer, LlmRequest, build_cassette
from otel_replay.standin.model import RecordedExchange, StandInExchange

CASSETTE_FILE = "cassette.json"
CASSETTE_KIND: Literal["otel-replay/cassette"] = "otel-replay/cassette"
TURN_NUMBERING: Literal["0-based"] = "0-based"


class RecordMode(StrEnum):
    """When `test` writes a case's cassette (as vcrpy's record modes)."""

    NONE = "none"  # never: the cassette is read only
    NEW_EPISODES = "new_episodes"  # append the exchanges answered live in this run
    ALL = "all"  # rewrite it from this run's exchanges


class CassetteExchange(BaseModel):
    """One model call: the request as normalised, the answer served, and where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["recorded", "live"] = "recorded"
    request: LlmRequest
    answer: LlmAnswer


class CassetteTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    turn: int = Field(description="0-based turn index.")
    exchanges: list[CassetteExchange] = Field(default_factory=list)


class CassetteDocument(BaseModel):
    """`cassette.json`: the baseline's LLM exchanges, turn by turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    kind: Literal["otel-replay/cassette"] = CASSETTE_KIND
    turn_numbering: Literal["0-based"] = TURN_NUMBERING
    scenario: str
    run_id: str = Field(description="The replay run these exchanges were recorded from.")
    turns: list[CassetteTurn] = Field(default_factory=list)

    @property
    def exchange_count(self) -> int:
        return sum(len(t.exchanges) for t in self.turns)

    def to_standin(self) -> Cassette:
        """The stand-in's cassette: position i holds turn index i (a missing turn: none)."""
        size = max((t.turn + 1 for t in self.turns), default=0)
        by_turn = {t.turn: t.exchanges for t in self.turns}
        return Cassette(
            self.scenario,
            tuple(
                tuple(
                    RecordedExchange(
                        turn_index=index,
                        index=n,
                        request=e.request,
                        answer=e.answer,
                        trace_id="",
                        span_id="",
                    )
                    for n, e in enumerate(by_turn.get(index, []))
                )
                for index in range(size)
            ),
        )


def _answered(exchanges: Iterable[StandInExchange]) -> list[StandInExchange]:
    return [
        e
        for e in exchanges
        if e.answer is not None and e.source is not ExchangeSource.UNANSWERED and e.status < 400
    ]


def _document(
    scenario: str, run_id: str, by_turn: dict[int, list[CassetteExchange]]
) -> CassetteDocument:
    return CassetteDocument(
        scenario=scenario,
        run_id=run_id,
        turns=[CassetteTurn(turn=t, exchanges=by_turn[t]) for t in sorted(by_turn)],
    )


def cassette_from_exchanges(
    scenario: str, run_id: str, exchanges: Sequence[StandInExchange]
) -> CassetteDocument:
    """A cassette of every answered exchange of a run served through the stand-in."""
    by_turn: dict[int, list[CassetteExchange]] = {}
    for e in _answered(exchanges):
        assert e.answer is not None
        source: Literal["recorded", "live"] = (
            "live" if e.source is ExchangeSource.LIVE else "recorded"
        )
        by_turn.setdefault(e.turn_index, []).append(
            CassetteExchange(source=source, request=e.request, answer=e.answer)
        )
    return _document(scenario, run_id, by_turn)


def cassette_from_scenario(scenario: Scenario, run_id: str) -> CassetteDocument:
    """A cassette of a recording's LLM calls (a baseline's own replay trace as a scenario)."""
    by_turn: dict[int, list[CassetteExchange]] = {}
    for position, exchanges in enumerate(build_cassette(scenario).turns):
        if exchanges:
            by_turn[scenario.turns[position].index] = [
                CassetteExchange(request=e.request, answer=e.answer) for e in exchanges
            ]
    return _document(scenario.name, run_id, by_turn)


def add_new_episodes(
    document: CassetteDocument, exchanges: Sequence[StandInExchange]
) -> CassetteDocument | None:
    """The cassette with this run's live-answered exchanges appended to their turns; None
    when nothing was answered live (the file need not change)."""
    live = cassette_from_exchanges(
        document.scenario,
        document.run_id,
        [e for e in exchanges if e.source is ExchangeSource.LIVE],
    )
    if not live.turns:
        return None
    by_turn = {t.turn: list(t.exchanges) for t in document.turns}
    for turn in live.turns:
        by_turn.setdefault(turn.turn, []).extend(turn.exchanges)
    return _document(document.scenario, document.run_id, by_turn)
