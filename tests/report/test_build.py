"""What `build_report` and `build_comparison_report` put into a report."""

from __future__ import annotations

from dataclasses import replace

import pytest

from otel_replay.diff.metrics import MetricName
from otel_replay.diff.span_tree_model import DiffStatus, MatchBasis
from otel_replay.diff.transcript import ToolCallStatus, TurnStatus, WordOp
from otel_replay.report import build_comparison_report, build_report
from otel_replay.report.model import ComparisonKind, MetricRow, Report
from tests.conversations import weather_conversation
from tests.report.story import (
    REPLAY_TRACE,
    SCORES,
    original_spans,
    original_trace_id,
    replay_spans,
    story_run,
)


def _report(**kwargs: object) -> Report:
    return build_report(story_run(), original_spans(), replay_spans(), **kwargs)  # type: ignore[arg-type]


def _session_metric(report: Report, name: MetricName) -> MetricRow:
    return next(row for row in report.metrics.session if row.name is name)


def test_run_report_names_both_sides_and_the_first_divergent_turn() -> None:
    report = _report()
    identity = report.identity
    assert identity.kind is ComparisonKind.REPLAY_RUN
    assert (identity.run_id, identity.scenario, identity.status) == (
        "run-7f3a9c",
        "support-session-003",
        "ok",
    )
    assert identity.original.trace_ids == [original_trace_id(i) for i in range(5)]
    assert identity.replay.trace_ids == [REPLAY_TRACE]
    summary = report.summary
    assert (summary.turns, summary.changed_turns, summary.first_divergent_turn) == (5, 1, 4)
    assert summary.tool_changes == [
        "turn 4: issue_refund(order_id=123) -> check_status(order_id=123)"
    ]
    assert not summary.identical


def test_changed_turn_holds_the_word_diff_tool_steps_and_the_runs_divergence() -> None:
    turn = _report().transcript[3]
    assert (turn.number, turn.status, turn.user) == (
        4,
        TurnStatus.CHANGED,
        "It's late, where is order 123?",
    )
    assert [(c.op, c.text) for c in turn.reply_diff] == [
        (WordOp.DELETE, "I have refunded order 123."),
        (WordOp.INSERT, "Order 123 is in transit, arriving Friday."),
    ]
    assert [
        (s.status, s.original and s.original.text, s.replay and s.replay.text)
        for s in turn.tool_calls
    ] == [
        (ToolCallStatus.REMOVED, "issue_refund(order_id=123)", None),
        (ToolCallStatus.ADDED, None, "check_status(order_id=123)"),
    ]
    assert turn.divergences == [
        "check_status ran live: no recorded call matched (recorded: issue_refund)"
    ]
    assert all(
        t.status is TurnStatus.SAME and t.tool_change is None for t in _report().transcript[:3]
    )


def test_metrics_hold_session_and_turn_deltas_and_leave_unrecorded_ttft_empty() -> None:
    report = _report()
    latency = _session_metric(report, MetricName.LATENCY_MS)
    assert (latency.original, latency.replay, latency.delta) == (6450, 6750, 300)
    assert latency.percent == pytest.approx(300 * 100 / 6450)
    assert _session_metric(report, MetricName.TURNS).delta == 0
    ttft = _session_metric(report, MetricName.TIME_TO_FIRST_TOKEN_MS)
    assert ttft.original is ttft.replay is ttft.delta is None
    turn_4 = {row.name: row for row in report.metrics.turns[3].metrics}
    assert turn_4[MetricName.OUTPUT_TOKENS].delta == 2
    assert turn_4[MetricName.TOOL_CALLS].delta == 0


def test_scores_come_from_the_run() -> None:
    assert _report().scores == list(SCORES)


def test_span_tree_rows_are_flattened_depth_first_with_their_changes() -> None:
    section = _report().span_tree
    assert (section.summary.same, section.summary.changed) == (11, 3)
    assert (section.summary.added, section.summary.removed, section.summary.total) == (1, 1, 16)
    assert [row.depth for row in section.rows[:4]] == [0, 1, 0, 1]
    tool = next(
        r
        for r in section.rows
        if r.status is DiffStatus.CHANGED and r.depth == 1 and "tool" in r.name
    )
    assert (tool.original_name, tool.replay_name) == (
        "execute_tool issue_refund",
        "execute_tool check_status",
    )
    assert tool.matched_by is MatchBasis.PARTIAL_KEY
    assert {c.key for c in tool.attribute_changes} == {"span.name", "gen_ai.tool.name"}
    (result,) = tool.output_changes
    assert result.original == '{"order_id": "123", "refund": "issued"}'
    below = section.rows[section.rows.index(tool) + 1 : section.rows.index(tool) + 3]
    assert [(r.depth, r.status, r.original_name, r.replay_name) for r in below] == [
        (2, DiffStatus.REMOVED, "POST /billing/refunds", None),
        (2, DiffStatus.ADDED, None, "GET /orders/123"),
    ]
    turn_4_agent = [r for r in section.rows if r.depth == 0][3]
    assert turn_4_agent.duration_unix_nano is not None
    assert turn_4_agent.duration_unix_nano.delta == 300_000_000
    assert turn_4_agent.status is DiffStatus.SAME  # only its children changed


def test_trials_report_the_spread_and_flag_what_lies_beyond_noise() -> None:
    trials = [story_run("a"), story_run("b", delay_ms=40), story_run("c", delay_ms=-30)]
    section = _report(trials=trials).trials
    assert section is not None and section.trials == 3
    by_key = {(row.name, row.turn): row for row in section.metrics}
    tokens = by_key[MetricName.INPUT_TOKENS, None]
    assert tokens.beyond_noise is True  # every trial used 10 tokens more than production
    latency = by_key[MetricName.LATENCY_MS, None]
    assert latency.spread is not None and latency.spread.count == 3
    assert latency.beyond_noise is False
    turn_4 = section.tool_sequences[3]
    assert (turn_4.turn, turn_4.original, turn_4.stable) == (4, ["issue_refund"], True)
    assert [(s.sequence, s.trials) for s in turn_4.sequences] == [(["check_status"], 3)]
    assert _report().trials is None


def test_a_replay_equal_to_its_original_is_identical() -> None:
    run = story_run()
    turns = [t.model_copy(update={"replayed": t.original}) for t in run.turns]
    report = build_report(
        run.model_copy(update={"turns": turns}), original_spans(), original_spans()
    )
    assert report.summary.identical
    assert report.summary.first_divergent_turn is None and report.summary.tool_changes == []
    assert report.span_tree.summary.same == report.span_tree.summary.total == len(original_spans())


def test_comparison_aligns_turns_on_the_user_text_and_labels_the_sides() -> None:
    before = weather_conversation()
    first, second = before.turns
    changed = replace(second, assistant_text="No umbrella needed.")
    after = replace(before, session_id="weather-session-2", turns=(first, changed))
    report = build_comparison_report(before, after, [], [], labels=("A", "B"))
    assert report.identity.kind is ComparisonKind.SESSIONS
    assert (report.identity.original.label, report.identity.replay.label) == ("A", "B")
    assert report.identity.replay.session_id == "weather-session-2"
    assert report.summary.first_divergent_turn == 2
    assert [t.status for t in report.transcript] == [TurnStatus.SAME, TurnStatus.CHANGED]
    assert report.transcript[1].tool_change is None
    assert report.scores == [] and report.span_tree.rows == []
    assert build_comparison_report(before, before, [], []).summary.identical
