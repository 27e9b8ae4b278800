"""Reports that do not cry wolf: no percent under a measure's noise floor, spreads to three
significant digits, tiny ones as `< 0.01`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from otel_replay.core.runs import ReplayRun
from otel_replay.diff.metrics import MetricName
from otel_replay.diff.trials import NoiseCheck
from otel_replay.report import (
    Report,
    build_report,
    render_html,
    render_json,
    render_markdown,
    render_terminal,
)
from otel_replay.report.text import (
    describe_noise_check,
    format_number,
    format_signed,
    format_spread,
)
from tests.report.story import original_spans, replay_spans, story_run

RENDERERS: dict[str, Callable[[Sequence[Report]], str]] = {
    "terminal": render_terminal,
    "markdown": render_markdown,
    "html": render_html,
}


def with_first_turn_latency(run: ReplayRun, original_ms: float, replayed_ms: float) -> ReplayRun:
    first = run.turns[0]
    assert first.replayed is not None
    turn = first.model_copy(
        update={
            "original": first.original.model_copy(update={"latency_ms": original_ms}),
            "replayed": first.replayed.model_copy(update={"latency_ms": replayed_ms}),
        }
    )
    return run.model_copy(update={"turns": [turn, *run.turns[1:]]})


def fast_turn_report() -> Report:
    """The story, its first turn answered in 0.02 ms recorded and 0.4 ms replayed (+1900%),
    with three trials a few nanoseconds apart."""
    run = with_first_turn_latency(story_run(), 0.02, 0.4)
    trials = [
        with_first_turn_latency(story_run(f"trial-{n}"), 0.02, 0.4 + n * 1e-6) for n in (1, 2, 3)
    ]
    return build_report(run, original_spans(), replay_spans(), trials)


def test_sub_millisecond_change_carries_no_percent_in_the_data() -> None:
    first = fast_turn_report().metrics.turns[0]
    latency = next(row for row in first.metrics if row.name == "latency_ms")

    assert latency.delta == pytest.approx(0.38)
    assert latency.percent is None
    assert '"percent": 1900' not in render_json([fast_turn_report()])


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_sub_millisecond_change_is_shown_as_an_absolute_delta_only(renderer: str) -> None:
    text = RENDERERS[renderer]([fast_turn_report()])

    assert "1900" not in text
    flat = text.replace("\n", " ")
    assert "0.02 → 0.4" in flat
    assert "(+0.38)" in flat


def test_sub_millisecond_change_is_not_highlighted() -> None:
    markdown = render_markdown([fast_turn_report()])
    html = render_html([fast_turn_report()])

    assert "| 1 | 0.02 → 0.4 (+0.38) |" in markdown
    assert '<td class="num">0.02 → 0.4 (+0.38)</td>' in html


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_a_spread_of_nanoseconds_reads_as_under_a_hundredth(renderer: str) -> None:
    text = RENDERERS[renderer]([fast_turn_report()])

    assert "± < 0.01" in text
    assert "e-0" not in text


@pytest.mark.parametrize(
    ("mean", "stdev", "text"),
    [
        (6766.7, 175.6, "6767 ± 176"),
        (2303.33, 35.12, "2303.3 ± 35.1"),
        (0.4213, 0.01234, "0.4213 ± 0.0123"),
        (5.0, 0.0, "5 ± 0"),
        (20.0, 0.5, "20.0 ± 0.5"),
        (110.0, 10.0, "110 ± 10"),
        (0.4, 1e-6, "0.4 ± < 0.01"),
        (1520.0, 1e-9, "1520 ± < 0.01"),
    ],
)
def test_spreads_show_three_significant_digits(mean: float, stdev: float, text: str) -> None:
    assert format_spread(mean, stdev) == text


@pytest.mark.parametrize(
    ("value", "number", "signed"),
    [
        (6450.0, "6450", "+6450"),
        (2303.333, "2303.3", "+2303.3"),
        (0.38, "0.38", "+0.38"),
        (0.0234, "0.0234", "+0.0234"),
        (-1.25, "-1.25", "-1.25"),
        (0.0, "0", "0"),
        (0.004, "< 0.01", "< 0.01"),
        (-0.004, "> -0.01", "> -0.01"),
        (None, "-", "-"),
    ],
)
def test_numbers_keep_their_small_values_readable(
    value: float | None, number: str, signed: str
) -> None:
    assert (format_number(value), format_signed(value)) == (number, signed)


def test_noise_checks_read_without_float_noise() -> None:
    flagged = NoiseCheck(MetricName.LATENCY_MS, 1, 300.0, 110.0, 351.2345, True)
    tokens = NoiseCheck(MetricName.OUTPUT_TOKENS, None, 25, 20.0, 0.5, True)

    assert describe_noise_check(flagged) == (
        "turn 2: latency (ms) original 300 vs replay mean 110 ± 351, beyond the agent's noise"
    )
    assert describe_noise_check(tokens) == (
        "session: output tokens original 25 vs replay mean 20.0 ± 0.5, beyond the agent's noise"
    )
