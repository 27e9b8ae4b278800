"""Wording shared by the renderers: headlines, numbers, metric names, span changes."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from pydantic import JsonValue

from otel_replay.diff.metrics import MetricName, is_noise
from otel_replay.diff.span_tree_model import DiffStatus
from otel_replay.diff.trials import NoiseCheck
from otel_replay.report.model import (
    AudioClipView,
    ComparisonKind,
    IntDelta,
    MetricRow,
    MetricSpreadRow,
    Report,
    SpanDiffRow,
    SpanDiffSummary,
    TrialsSection,
    TurnMetricRows,
)

METRIC_LABELS: dict[MetricName, str] = {
    MetricName.TURNS: "turns",
    MetricName.LATENCY_MS: "latency (ms)",
    MetricName.TIME_TO_FIRST_TOKEN_MS: "TTFT (ms)",
    MetricName.INPUT_TOKENS: "input tokens",
    MetricName.OUTPUT_TOKENS: "output tokens",
    MetricName.LLM_CALLS: "LLM calls",
    MetricName.TOOL_CALLS: "tool calls",
    MetricName.ERRORS: "errors",
}
UNKNOWN = "-"
ARROW = "→"


def describe_title(report: Report) -> str:
    """What was compared, on one line."""
    identity = report.identity
    if identity.kind is ComparisonKind.REPLAY_RUN:
        return f"replay {identity.run_id} of {identity.scenario}"
    return f"{identity.original.session_id} {ARROW} {identity.replay.session_id}"


def describe_sides(report: Report) -> str:
    """Both sides: label, session and trace count."""
    sides = []
    for side in (report.identity.original, report.identity.replay):
        traces = len(side.trace_ids)
        sides.append(f"{side.label} {side.session_id} ({traces} trace{'s' * (traces != 1)})")
    return " · ".join(sides)


def describe_summary(report: Report) -> str:
    """The verdict line: turns changed, first divergence, span-tree counts."""
    summary = report.summary
    if summary.identical:
        head = f"identical: {summary.turns} turn(s), no span differences"
        return head
    parts = [f"{summary.changed_turns} of {summary.turns} turn(s) changed"]
    if summary.first_divergent_turn is not None:
        parts.append(f"first divergent turn {summary.first_divergent_turn}")
    parts.append(f"spans: {describe_span_summary(report.span_tree.summary)}")
    failed = sum(1 for score in report.scores if not score.passed)
    if report.scores:
        parts.append(f"scores: {len(report.scores) - failed} passed, {failed} failed")
    return " · ".join(parts)


def describe_span_summary(summary: SpanDiffSummary) -> str:
    return (
        f"{summary.same} same, {summary.changed} changed, "
        f"{summary.added} added, {summary.removed} removed"
    )


TINY = 0.01  # below this a figure reads as "< 0.01": more digits would be noise


def format_number(value: float | None) -> str:
    """An integer-valued measure without decimals, from 10 up with one, under 10 with three
    significant digits (0.0234), under 0.01 as `< 0.01`; `-` when unknown."""
    if value is None:
        return UNKNOWN
    if float(value).is_integer():
        return f"{int(value)}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= TINY:
        return f"{value:.3g}"
    return f"< {TINY}" if value > 0 else f"> -{TINY}"


def format_signed(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    text = format_number(value)
    return f"+{text}" if value > 0 and text[0].isdigit() else text


def _decimals_for(stdev: float) -> int:
    """Decimals that show a deviation to three significant digits (none past the point
    for 100 and up)."""
    return max(0, 2 - math.floor(math.log10(stdev)))


def format_spread(mean: float, stdev: float) -> str:
    """`mean ± stdev`, the deviation to three significant digits (trailing zeros dropped)
    and the mean to the same decimal place; a deviation under 0.01 as `< 0.01`."""
    if stdev == 0 or stdev < TINY:
        shown = "0" if stdev == 0 else f"< {TINY}"
        return f"{format_number(mean)} ± {shown}"
    deviation = f"{stdev:.{_decimals_for(stdev)}f}"
    if "." in deviation:
        deviation = deviation.rstrip("0").rstrip(".")  # 0.500 -> 0.5: no invented digits
    decimals = len(deviation.partition(".")[2])
    return f"{mean:.{decimals}f} ± {deviation}"


def describe_noise_check(check: NoiseCheck) -> str:
    """`turn 2: latency (ms) original 300 vs replay mean 110 ± 20, beyond the agent's noise`
    (turn 1-based; `session` without one)."""
    where = "session" if check.turn is None else f"turn {check.turn + 1}"
    verdict = "beyond" if check.beyond_noise else "within"
    return (
        f"{where}: {METRIC_LABELS[check.name]} original {format_number(check.original)} vs "
        f"replay mean {format_spread(check.mean, check.tolerance)}, {verdict} the agent's noise"
    )


def is_notable(row: MetricRow) -> bool:
    """Whether a measure changed beyond its noise floor: worth a highlight."""
    return row.delta is not None and not is_noise(row.name, row.delta)


def format_percent(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:+.1f}%"


def format_metric_pair(row: MetricRow) -> str:
    """`original → replay`, with the change in brackets when there is one."""
    pair = f"{format_number(row.original)} {ARROW} {format_number(row.replay)}"
    if row.delta:
        change = format_signed(row.delta)
        if row.percent is not None:
            change += f", {format_percent(row.percent)}"
        pair += f" ({change})"
    return pair


def is_recorded(row: MetricRow) -> bool:
    """Whether either side recorded the measure (TTFT often is not)."""
    return row.original is not None or row.replay is not None


def recorded_turn_metrics(turns: Sequence[TurnMetricRows]) -> list[MetricName]:
    """The per-turn measures some turn recorded, in table order."""
    names: list[MetricName] = []
    for turn in turns:
        for row in turn.metrics:
            if is_recorded(row) and row.name not in names:
                names.append(row.name)
    order = list(METRIC_LABELS)
    return sorted(names, key=order.index)


def format_duration_delta(delta: IntDelta | None) -> str:
    """The change of a span's duration, replay minus original: `+300ms`, `-120µs`, `+1.25s`;
    `0` when equal, empty when not a matched pair."""
    if delta is None:
        return ""
    nanos = delta.delta
    if nanos == 0:
        return "0"
    size = abs(nanos)
    if round(size / 1_000) < 1_000:
        text = f"{size / 1_000:.0f}µs"
    elif round(size / 1_000_000, 1) < 1_000:
        text = f"{format_number(round(size / 1_000_000, 1))}ms"
    else:
        text = f"{size / 1_000_000_000:.2f}s"
    return f"{'+' if nanos > 0 else '-'}{text}"


STATUS_MARKS: dict[DiffStatus, str] = {
    DiffStatus.SAME: " ",
    DiffStatus.CHANGED: "~",
    DiffStatus.ADDED: "+",
    DiffStatus.REMOVED: "-",
}


def describe_span_changes(row: SpanDiffRow) -> str:
    """What changed on one span: attributes, outputs, tokens; empty when nothing did."""
    parts = []
    if row.output_changes:
        parts.append("output: " + ", ".join(c.key for c in row.output_changes))
    if row.attribute_changes:
        parts.append("attributes: " + ", ".join(c.key for c in row.attribute_changes))
    for label, delta in (("in", row.input_tokens), ("out", row.output_tokens)):
        if delta is not None and delta.delta:
            parts.append(f"tokens {label} {format_signed(delta.delta)}")
    if row.original_error != row.replay_error:
        parts.append("now fails" if row.replay_error else "no longer fails")
    return "; ".join(parts)


def describe_span_name(row: SpanDiffRow) -> str:
    """The span's name, or `old → new` when a matched span was renamed."""
    if row.original_name and row.replay_name and row.original_name != row.replay_name:
        return f"{row.original_name} {ARROW} {row.replay_name}"
    return row.name


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_json_value(value: JsonValue, limit: int = 120) -> str:
    """A changed attribute value, short: strings as they are, the rest as compact JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shorten(text, limit)


TRIAL_ROWS_NOTE = "Session rows, and the turn rows beyond noise."


def list_trial_rows(trials: TrialsSection) -> list[MetricSpreadRow]:
    """The trial rows worth a line: every session measure, and turn measures beyond noise."""
    return [
        row
        for row in trials.metrics
        if row.spread is not None and (row.turn is None or row.beyond_noise)
    ]


def describe_trial_spread(row: MetricSpreadRow) -> tuple[str, str, str]:
    """(`mean ± stdev`, `min – max`, verdict) of one trial row."""
    assert row.spread is not None
    spread = row.spread
    return (
        format_spread(spread.mean, spread.stdev),
        f"{format_number(spread.minimum)} – {format_number(spread.maximum)}",
        "beyond noise" if row.beyond_noise else "within noise",
    )


def describe_tool_stability(trials: TrialsSection) -> list[str]:
    """A line per turn whose trials varied in their tools or differ from the original."""
    lines = []
    for stability in trials.tool_sequences:
        if stability.stable and all(s.sequence == stability.original for s in stability.sequences):
            continue
        observed = ", ".join(
            f"{' > '.join(s.sequence) or '(none)'} ×{s.trials}" for s in stability.sequences
        )
        original = " > ".join(stability.original) or "(none)"
        flag = "stable" if stability.stable else "UNSTABLE"
        lines.append(f"turn {stability.turn} tools: {observed} (original {original}), {flag}")
    return lines


def describe_audio_source(report: Report) -> str:
    """Where the replay's audio came from, e.g. "the replayed text spoken (voice x)"."""
    section = report.audio
    if section is None:
        return ""
    how = {"agent": "the voice agent's output", "synthesis": "the replayed text spoken"}
    note = how.get(section.replay_source or "", "")
    return note + (f" (voice {section.voice})" if section.voice else "")


def describe_audio_turns(report: Report) -> list[str]:
    """Each turn's stretch of audio on both sides, in seconds."""
    if report.audio is None:
        return []
    original, replay = report.identity.original.label, report.identity.replay.label
    return [
        f"turn {turn.number}: {original} {_describe_stretch(turn.original)}"
        f" · {replay} {_describe_stretch(turn.replay)}"
        for turn in report.audio.turns
    ]


def _describe_stretch(clip: AudioClipView | None) -> str:
    if clip is None:
        return "-"
    start = clip.start_seconds or 0.0
    end = f"{clip.end_seconds:.1f}" if clip.end_seconds is not None else "end"
    return f"{start:.1f}-{end} s"
