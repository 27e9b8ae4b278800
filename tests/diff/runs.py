"""Builders of replay runs for the metric and trial tests."""

from __future__ import annotations

from collections.abc import Sequence

from otel_replay.core.runs import ReplayedTurn, ReplayRun, RunStatus, TurnSide

SESSION = "support-session-003"


def make_run(
    turns: Sequence[tuple[TurnSide, TurnSide | None]], *, number: int = 1, scenario: str = SESSION
) -> ReplayRun:
    """Replay `number` of `scenario`: one turn per (original, replayed) pair, the user saying
    `message <index>`."""
    return ReplayRun(
        run_id=f"run-{number}",
        scenario=scenario,
        agent="fixed",
        original_session_id=SESSION,
        session_id=f"replay-{number}",
        status=RunStatus.OK,
        started_unix_nano=0,
        ended_unix_nano=1,
        trace_ids=[],
        turns=[
            ReplayedTurn(
                index=index,
                user=f"message {index}",
                original=original,
                replayed=replayed,
                original_trace_id="a" * 32,
                original_span_id="a" * 16,
            )
            for index, (original, replayed) in enumerate(turns)
        ],
    )
