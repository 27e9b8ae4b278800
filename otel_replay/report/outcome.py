"""Wording of the turn marks (recorded or simulated) and the outcome rows, for every renderer."""

from __future__ import annotations

from collections.abc import Sequence

from otel_replay.core.runs import TurnOrigin
from otel_replay.report.model import OutcomeRow, Report, SideCount, TranscriptTurnView
from otel_replay.report.text import ARROW, format_number

OUTCOME_COLUMNS = ("scenario", "outcome", "turns", "simulated", "tool calls", "latency (ms)")


def has_simulated_turns(report: Report) -> bool:
    """Whether a simulated user spoke in the replay: then every turn shows who spoke it."""
    return any(turn.origin is TurnOrigin.SIMULATED for turn in report.transcript)


def describe_origin(report: Report, turn: TranscriptTurnView) -> str | None:
    """`recorded` or `simulated` for a turn of a report with simulated turns, else None."""
    return turn.origin.value if has_simulated_turns(report) else None


def describe_reached(row: OutcomeRow) -> str:
    if row.reached is None:
        return "not checked"
    return "reached" if row.reached else "not reached"


def describe_side_count(count: SideCount) -> str:
    """`5 → 4` (original → replay)."""
    return f"{format_number(count.original)} {ARROW} {format_number(count.replay)}"


def describe_outcome(row: OutcomeRow) -> list[str]:
    """The outcome row in lines: the verdict, the conversation beside the original's, and
    where the replay diverged and how it ended."""
    verdict = f"expected outcome {describe_reached(row)}"
    if row.detail:
        verdict += f": {row.detail}"
    turns = describe_side_count(row.turns)
    if row.simulated_turns:
        turns += f" ({row.simulated_turns} simulated)"
    lines = [
        verdict,
        f"turns {turns} · tool calls {describe_side_count(row.tool_calls)} · "
        f"latency (ms) {describe_side_count(row.latency_ms)}",
    ]
    if row.after_divergence is not None:
        where = (
            f"first divergent turn {row.divergent_turn}"
            if row.divergent_turn is not None
            else "no divergent turn"
        )
        ended = row.ended_by.value.replace("_", " ") if row.ended_by else "-"
        lines.append(f"{where} · after divergence: {row.after_divergence} · ended: {ended}")
    return lines


def list_outcome_rows(reports: Sequence[Report]) -> list[tuple[str, ...]]:
    """One line per report with an outcome row (OUTCOME_COLUMNS): the rows table a report
    file of several scenarios (variants) starts with; empty for fewer than two."""
    rows = [report.outcome for report in reports if report.outcome is not None]
    if len(rows) < 2:
        return []
    return [
        (
            row.scenario,
            describe_reached(row),
            describe_side_count(row.turns),
            str(row.simulated_turns),
            describe_side_count(row.tool_calls),
            describe_side_count(row.latency_ms),
        )
        for row in rows
    ]
