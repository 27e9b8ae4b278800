from __future__ import annotations

import pytest

from otel_replay.core.runs import (
    ToolCallSummary,
    TurnSide,
)
from otel_replay.diff.metrics import (
    NOISE_FLOORS,
    SESSION_METRICS,
    TURN_METRICS,
    MetricDelta,
    MetricName,
    compare_metric,
    is_noise,
    measure_run,
    measure_transcript_diff,
    total_metrics,
)
from otel_replay.diff.transcript import TranscriptToolCall, TranscriptTurn, diff_transcripts
from tests.diff.runs import make_run


def side(
    latency_ms: float | None,
    input_tokens: int | None,
    output_tokens: int | None,
    *,
    tools: int = 0,
    llm_calls: int = 1,
    errors: int = 0,
) -> TurnSide:
    return TurnSide(
        assistant="ok",
        tool_calls=[ToolCallSummary(name=f"tool{i}") for i in range(tools)],
        latency_ms=latency_ms,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        llm_calls=llm_calls,
        errors=errors,
    )


def test_delta_and_percent_are_relative_to_the_original() -> None:
    assert compare_metric(MetricName.LATENCY_MS, 200, 250) == MetricDelta(
        MetricName.LATENCY_MS, 200, 250, 50, 25.0
    )
    assert compare_metric(MetricName.INPUT_TOKENS, 400, 300) == MetricDelta(
        MetricName.INPUT_TOKENS, 400, 300, -100, -25.0
    )


def test_percent_is_none_when_the_original_is_zero_or_unknown() -> None:
    assert compare_metric(MetricName.ERRORS, 0, 2) == MetricDelta(MetricName.ERRORS, 0, 2, 2, None)
    assert compare_metric(MetricName.ERRORS, 0, 0) == MetricDelta(MetricName.ERRORS, 0, 0, 0, None)
    assert compare_metric(MetricName.INPUT_TOKENS, None, 10) == MetricDelta(
        MetricName.INPUT_TOKENS, None, 10, None, None
    )
    assert compare_metric(MetricName.INPUT_TOKENS, 10, None) == MetricDelta(
        MetricName.INPUT_TOKENS, 10, None, None, None
    )


def test_sub_millisecond_latency_changes_get_no_percent() -> None:
    # 0.02 -> 0.4 ms is +1900%: noise, not an alarm.
    assert compare_metric(MetricName.LATENCY_MS, 0.02, 0.4).percent is None
    assert compare_metric(MetricName.LATENCY_MS, 0.02, 0.4).delta == pytest.approx(0.38)
    # A base under 1 ms gets no percent even for a large change.
    assert compare_metric(MetricName.LATENCY_MS, 0.5, 80.0).percent is None
    # Under 5 ms of change on any base is noise; from there on the percent is shown.
    assert compare_metric(MetricName.TIME_TO_FIRST_TOKEN_MS, 1000.0, 1004.0).percent is None
    assert compare_metric(MetricName.LATENCY_MS, 1000.0, 1006.0).percent == pytest.approx(0.6)


def test_token_and_count_percents_need_a_base_worth_one() -> None:
    assert compare_metric(MetricName.OUTPUT_TOKENS, 32, 34).percent is None
    assert compare_metric(MetricName.OUTPUT_TOKENS, 300, 310).percent == pytest.approx(10 / 3)
    assert compare_metric(MetricName.TOOL_CALLS, 2, 3).percent is None
    assert compare_metric(MetricName.LLM_CALLS, 20, 30).percent == 50.0
    assert compare_metric(MetricName.INPUT_TOKENS, 400, 400).percent is None


def test_noise_floors_cover_every_measure() -> None:
    assert set(NOISE_FLOORS) == set(MetricName)
    assert is_noise(MetricName.LATENCY_MS, -5.0)
    assert not is_noise(MetricName.LATENCY_MS, 5.1)
    assert not is_noise(MetricName.OUTPUT_TOKENS, 1)


def test_run_metrics_per_turn() -> None:
    run = make_run(
        [
            (side(1000.0, 100, 20), side(1500.0, 150, 10, tools=1)),
            (side(400.0, 200, 50, tools=2, errors=1), side(200.0, 200, 50, tools=1, llm_calls=2)),
        ]
    )

    metrics = measure_run(run)

    assert [t.number for t in metrics.turns] == [1, 2]
    assert metrics.turns[0].deltas == (
        MetricDelta(MetricName.LATENCY_MS, 1000.0, 1500.0, 500.0, 50.0),
        MetricDelta(MetricName.TIME_TO_FIRST_TOKEN_MS, None, None, None, None),
        MetricDelta(MetricName.INPUT_TOKENS, 100, 150, 50, 50.0),
        # A percent of 20 tokens, or of one call, would read as an alarm: none.
        MetricDelta(MetricName.OUTPUT_TOKENS, 20, 10, -10, None),
        MetricDelta(MetricName.LLM_CALLS, 1, 1, 0, None),
        MetricDelta(MetricName.TOOL_CALLS, 0, 1, 1, None),
        MetricDelta(MetricName.ERRORS, 0, 0, 0, None),
    )
    second = metrics.turns[1]
    assert second.get(MetricName.LATENCY_MS) == MetricDelta(
        MetricName.LATENCY_MS, 400.0, 200.0, -200.0, -50.0
    )
    assert second.get(MetricName.TOOL_CALLS) == MetricDelta(MetricName.TOOL_CALLS, 2, 1, -1, None)
    assert second.get(MetricName.ERRORS) == MetricDelta(MetricName.ERRORS, 1, 0, -1, None)
    assert second.get(MetricName.LLM_CALLS) == MetricDelta(MetricName.LLM_CALLS, 1, 2, 1, None)


def test_run_metrics_for_the_session_sum_turns() -> None:
    run = make_run(
        [
            (side(1000.0, 100, 20), side(1500.0, 150, 10, tools=1)),
            (side(400.0, 200, 50, tools=2, errors=1), side(200.0, 200, 50, tools=1)),
            (side(100.0, None, None), None),
        ]
    )

    metrics = measure_run(run)

    assert [d.name for d in metrics.session] == list(SESSION_METRICS)
    assert metrics.session == (
        MetricDelta(MetricName.TURNS, 3, 2, -1, None),
        MetricDelta(MetricName.LATENCY_MS, 1500.0, 1700.0, 200.0, 200 * 100 / 1500),
        MetricDelta(MetricName.TIME_TO_FIRST_TOKEN_MS, None, None, None, None),
        MetricDelta(MetricName.INPUT_TOKENS, 300, 350, 50, 50 * 100 / 300),
        MetricDelta(MetricName.OUTPUT_TOKENS, 70, 60, -10, None),
        MetricDelta(MetricName.LLM_CALLS, 3, 2, -1, None),
        MetricDelta(MetricName.TOOL_CALLS, 2, 2, 0, None),
        MetricDelta(MetricName.ERRORS, 1, 0, -1, None),
    )
    # The turn that was not replayed has nothing on the replay side.
    assert all(d.replayed is None and d.delta is None for d in metrics.turns[2].deltas)


def test_time_to_first_token_is_compared_where_recorded_and_averaged_per_session() -> None:
    original = [
        TranscriptTurn(0, "a", "x", time_to_first_token_ms=100.0),
        TranscriptTurn(1, "b", "y", time_to_first_token_ms=300.0),
    ]
    replayed = [
        TranscriptTurn(0, "a", "x", time_to_first_token_ms=150.0),
        TranscriptTurn(1, "b", "y"),
    ]

    metrics = measure_transcript_diff(diff_transcripts(original, replayed))

    assert metrics.turns[0].get(MetricName.TIME_TO_FIRST_TOKEN_MS) == MetricDelta(
        MetricName.TIME_TO_FIRST_TOKEN_MS, 100.0, 150.0, 50.0, 50.0
    )
    assert metrics.turns[1].get(MetricName.TIME_TO_FIRST_TOKEN_MS).delta is None
    assert metrics.get(MetricName.TIME_TO_FIRST_TOKEN_MS) == MetricDelta(
        MetricName.TIME_TO_FIRST_TOKEN_MS, 200.0, 150.0, -50.0, -25.0
    )


def test_metrics_follow_the_alignment_not_the_index() -> None:
    original = [TranscriptTurn(0, "a", "x", latency_ms=10.0), TranscriptTurn(1, "b", "y")]
    # The replay dropped "a": its first turn pairs with the original's second.
    replayed = [TranscriptTurn(0, "b", "y", latency_ms=30.0)]

    metrics = measure_transcript_diff(diff_transcripts(original, replayed))

    assert [t.number for t in metrics.turns] == [1, 2]
    assert metrics.turns[0].get(MetricName.LATENCY_MS) == MetricDelta(
        MetricName.LATENCY_MS, 10.0, None, None, None
    )
    assert metrics.turns[1].get(MetricName.LATENCY_MS) == MetricDelta(
        MetricName.LATENCY_MS, None, 30.0, None, None
    )
    assert metrics.get(MetricName.TURNS) == MetricDelta(MetricName.TURNS, 2, 1, -1, None)


def test_totals_of_an_empty_transcript_are_unknown_except_counts_of_zero() -> None:
    totals = total_metrics([])

    assert totals[MetricName.TURNS] == 0
    assert all(totals[name] is None for name in TURN_METRICS)


def test_totals_count_tool_calls() -> None:
    turns = [
        TranscriptTurn(0, "a", "x", tool_calls=(TranscriptToolCall("t"),), llm_calls=2),
        TranscriptTurn(1, "b", "y", tool_calls=(TranscriptToolCall("t"), TranscriptToolCall("u"))),
    ]

    totals = total_metrics(turns)

    assert totals[MetricName.TOOL_CALLS] == 3
    assert totals[MetricName.LLM_CALLS] == 2
    assert totals[MetricName.ERRORS] == 0
