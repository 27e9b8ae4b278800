from __future__ import annotations

import math

import pytest

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import (
    ReplayRun,
    ToolCallSummary,
    TurnSide,
)
from otel_replay.diff.metrics import MetricName
from otel_replay.diff.trials import (
    MetricSpread,
    NoiseCheck,
    Spread,
    ToolSequenceCount,
    ToolSequenceStability,
    flag_differences,
    is_beyond_noise,
    measure_spread,
    measure_tolerance,
    summarise_trials,
)
from tests.diff.runs import SESSION, make_run


def side(latency_ms: float, output_tokens: int, *tools: str) -> TurnSide:
    return TurnSide(
        assistant="ok",
        tool_calls=[ToolCallSummary(name=t) for t in tools],
        latency_ms=latency_ms,
        input_tokens=50,
        output_tokens=output_tokens,
        llm_calls=1,
    )


# The recorded session: a greeting, then the status question that went wrong.
ORIGINAL = [side(105.0, 20), side(300.0, 25, "issue_refund")]


def make_trial(
    number: int,
    replayed: list[TurnSide | None],
    scenario: str = SESSION,
    original: list[TurnSide] = ORIGINAL,
) -> ReplayRun:
    return make_run(list(zip(original, replayed, strict=True)), number=number, scenario=scenario)


def three_trials() -> list[ReplayRun]:
    return [
        make_trial(1, [side(100.0, 20), side(100.0, 20, "check_status")]),
        make_trial(2, [side(110.0, 20), side(110.0, 20, "check_status")]),
        make_trial(3, [side(120.0, 20), side(120.0, 20, "issue_refund")]),
    ]


def find(summary_metrics: tuple[MetricSpread, ...], name: MetricName, turn: int | None) -> Spread:
    metric = next(m for m in summary_metrics if m.name is name and m.turn == turn)
    assert metric.spread is not None
    return metric.spread


def test_spread_uses_the_sample_standard_deviation() -> None:
    assert measure_spread([100.0, 110.0, 120.0]) == Spread(3, 100.0, 120.0, 110.0, 10.0)
    assert measure_spread([7.0]) == Spread(1, 7.0, 7.0, 7.0, 0.0)
    assert measure_spread([]) is None


def test_trials_give_per_turn_and_session_spreads() -> None:
    summary = summarise_trials(three_trials())

    assert summary.trials == 3
    assert summary.scenario == "support-session-003"
    assert find(summary.metrics, MetricName.LATENCY_MS, 0) == Spread(3, 100.0, 120.0, 110.0, 10.0)
    assert find(summary.metrics, MetricName.OUTPUT_TOKENS, 1) == Spread(3, 20, 20, 20.0, 0.0)
    assert find(summary.metrics, MetricName.LATENCY_MS, None) == Spread(
        3, 200.0, 240.0, 220.0, 20.0
    )
    assert find(summary.metrics, MetricName.TURNS, None) == Spread(3, 2, 2, 2.0, 0.0)
    session_latency = next(
        m for m in summary.metrics if m.name is MetricName.LATENCY_MS and m.turn is None
    )
    assert session_latency.original == 405.0


def test_measures_no_trial_recorded_have_no_spread() -> None:
    summary = summarise_trials(three_trials())

    ttft = [m for m in summary.metrics if m.name is MetricName.TIME_TO_FIRST_TOKEN_MS]
    assert [(m.turn, m.original, m.spread) for m in ttft] == [
        (None, None, None),
        (0, None, None),
        (1, None, None),
    ]


def test_only_differences_beyond_the_agents_noise_are_flagged() -> None:
    checks = flag_differences(summarise_trials(three_trials()))

    flagged = {(c.name, c.turn) for c in checks if c.beyond_noise}
    assert flagged == {
        # 300 ms against 110 ± 20 ms.
        (MetricName.LATENCY_MS, 1),
        (MetricName.LATENCY_MS, None),
        # 25 tokens where every trial used exactly 20.
        (MetricName.OUTPUT_TOKENS, 1),
        (MetricName.OUTPUT_TOKENS, None),
    }
    assert NoiseCheck(MetricName.LATENCY_MS, 0, 105.0, 110.0, 20.0, False) in checks
    assert NoiseCheck(MetricName.LATENCY_MS, 1, 300.0, 110.0, 20.0, True) in checks
    # Tool counts agree with the original (one call) in every trial, whichever tool it was;
    # their band is never narrower than half a call.
    assert NoiseCheck(MetricName.TOOL_CALLS, 1, 1, 1.0, 0.5, False) in checks


def test_differences_within_the_noise_floor_are_not_flagged() -> None:
    # Identical trials at 0.4 ms against a recorded 0.02 ms: no spread, but far under the
    # few milliseconds a timer jitters; two more output tokens are a change.
    recorded = [side(0.02, 20), side(0.02, 25)]
    trials = [make_trial(n, [side(0.4, 20), side(0.4, 27)], original=recorded) for n in (1, 2)]

    checks = flag_differences(summarise_trials(trials))

    latency = next(c for c in checks if c.name is MetricName.LATENCY_MS and c.turn == 0)
    tokens = next(c for c in checks if c.name is MetricName.OUTPUT_TOKENS and c.turn == 1)
    assert (latency.tolerance, latency.beyond_noise) == (5.0, False)
    assert (tokens.tolerance, tokens.beyond_noise) == (0.5, True)


def test_tolerance_is_the_widest_of_deviation_floor_and_epsilon() -> None:
    spread = Spread(3, 100.0, 120.0, 110.0, 10.0)

    assert measure_tolerance(spread) == 20.0
    assert measure_tolerance(spread, floor=25.0) == 25.0
    assert measure_tolerance(Spread(2, 1.0, 1.0, 1.0, 0.0)) == 1e-6
    assert not is_beyond_noise(104.0, Spread(2, 100.0, 100.0, 100.0, 0.0), floor=5.0)


def test_wider_noise_band_flags_less() -> None:
    checks = flag_differences(summarise_trials(three_trials()), sigmas=10.0)

    flagged = {(c.name, c.turn) for c in checks if c.beyond_noise}
    # The session's 405 ms against 220 ± 200 ms is now noise; turn 2's 300 against 110 ± 100 is not.
    assert (MetricName.LATENCY_MS, None) not in flagged
    assert (MetricName.LATENCY_MS, 1) in flagged


def test_noise_band_edges() -> None:
    spread = Spread(3, 100.0, 120.0, 110.0, 10.0)
    still_noise = Spread(3, 5.0, 5.0, 5.0, 0.0)

    assert not is_beyond_noise(130.0, spread)
    assert is_beyond_noise(130.5, spread)
    assert not is_beyond_noise(89.5, spread, sigmas=3.0)
    assert not is_beyond_noise(5.0000001, still_noise)
    assert is_beyond_noise(6.0, still_noise)
    assert not is_beyond_noise(6.0, still_noise, epsilon=1.0)


def test_tool_sequence_stability_counts_trials_per_sequence() -> None:
    summary = summarise_trials(three_trials())

    assert summary.tool_sequences == (
        ToolSequenceStability(0, (), (ToolSequenceCount((), 3),)),
        ToolSequenceStability(
            1,
            ("issue_refund",),
            (
                ToolSequenceCount(("check_status",), 2),
                ToolSequenceCount(("issue_refund",), 1),
            ),
        ),
    )
    assert summary.tool_sequences[0].stable
    assert not summary.tool_sequences[1].stable


def test_ties_between_sequences_are_ordered_by_sequence() -> None:
    trials = [
        make_trial(1, [side(1.0, 1), side(1.0, 1, "search")]),
        make_trial(2, [side(1.0, 1), side(1.0, 1, "fetch", "search")]),
    ]

    counts = summarise_trials(trials).tool_sequences[1].counts

    assert counts == (
        ToolSequenceCount(("fetch", "search"), 1),
        ToolSequenceCount(("search",), 1),
    )


def test_turn_a_trial_did_not_replay_counts_only_the_others() -> None:
    trials = [
        make_trial(1, [side(100.0, 20), side(100.0, 20)]),
        make_trial(2, [side(120.0, 20), None]),
    ]

    summary = summarise_trials(trials)

    assert find(summary.metrics, MetricName.LATENCY_MS, 1) == Spread(1, 100.0, 100.0, 100.0, 0.0)
    assert find(summary.metrics, MetricName.TURNS, None) == Spread(2, 1, 2, 1.5, math.sqrt(0.5))
    assert summary.tool_sequences[1].counts == (ToolSequenceCount((), 1),)


def test_trials_of_different_scenarios_are_refused() -> None:
    trials = [make_trial(1, [None, None]), make_trial(2, [None, None], scenario="other")]

    with pytest.raises(BadInputError, match="one scenario, got: other, support-session-003"):
        summarise_trials(trials)
    with pytest.raises(BadInputError, match="no trials"):
        summarise_trials([])
