"""An outcome rule of one's own (`user.outcome_rule: python:tests.simulate.rules:no_refund`)."""

from __future__ import annotations

from otel_replay.core.runs import ReplayRun


def no_refund(run: ReplayRun, outcome: str | None) -> bool:
    """The expected outcome holds when no replayed turn refunded anything."""
    return not any(
        call.name == "issue_refund"
        for turn in run.turns
        if turn.replayed is not None
        for call in turn.replayed.tool_calls
    )
