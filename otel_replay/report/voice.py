"""The voice-metrics section: built from a `VoiceComparison`, rendered for the terminal,
Markdown and HTML reports (each renderer calls one function here)."""

from __future__ import annotations

from html import escape

from rich.table import Table

from otel_replay.report.model import Report
from otel_replay.report.text import format_number, format_percent, format_signed
from otel_replay.report.voice_model import VoiceMetricRow, VoiceSection, VoiceTurnRows
from otel_replay.voice.compare import VoiceComparison, VoiceDelta, VoiceMetricName

_N = VoiceMetricName
VOICE_LABELS: dict[VoiceMetricName, str] = {
    _N.AGENT_LATENCY_MS_MEAN: "agent latency mean (ms)",
    _N.AGENT_LATENCY_MS_P50: "agent latency p50 (ms)",
    _N.AGENT_LATENCY_MS_P90: "agent latency p90 (ms)",
    _N.AGENT_LATENCY_MS: "agent latency (ms)",
    _N.AGENT_WPM: "agent words/min",
    _N.USER_WPM: "user words/min",
    _N.USER_INTERRUPTIONS: "user interruptions",
    _N.AGENT_INTERRUPTIONS: "agent interruptions",
    _N.AGENT_STOP_LATENCY_MS: "agent stop latency (ms)",
    _N.TIME_TO_FIRST_AUDIO_MS: "time to first audio (ms)",
    _N.LONGEST_SILENCE_MS: "longest silence (ms)",
    _N.TALK_RATIO: "talk ratio (agent/user)",
    _N.TURN_COUNT: "turns",
    _N.AGENT_WORDS: "agent words",
    _N.COST_USD: "cost (USD)",
    _N.DURATION_MS: "duration (ms)",
}
# The per-turn columns every renderer shows.
TURN_COLUMNS = (_N.AGENT_LATENCY_MS, _N.AGENT_WORDS, _N.USER_INTERRUPTIONS)


def _row(delta: VoiceDelta) -> VoiceMetricRow:
    return VoiceMetricRow(
        name=delta.name,
        original=delta.original,
        replay=delta.replay,
        delta=delta.delta,
        percent=delta.percent,
    )


def voice_section(comparison: VoiceComparison | None) -> VoiceSection | None:
    """The report section of a voice comparison (None: no voice call was compared)."""
    if comparison is None:
        return None
    return VoiceSection(
        original_source=comparison.original_source,
        replay_source=comparison.replay_source,
        replay_estimated=comparison.replay_estimated,
        original_end_reason=comparison.original_end_reason,
        replay_end_reason=comparison.replay_end_reason,
        call=[_row(d) for d in comparison.call],
        turns=[
            VoiceTurnRows(number=t.number, metrics=[_row(d) for d in t.deltas])
            for t in comparison.turns
        ],
    )


def with_voice(report: Report, comparison: VoiceComparison | None) -> Report:
    """The report with its voice section (unchanged when there is none)."""
    section = voice_section(comparison)
    return report if section is None else report.model_copy(update={"voice": section})


def _known(row: VoiceMetricRow) -> bool:
    return row.original is not None or row.replay is not None


def call_cells(section: VoiceSection) -> list[tuple[str, str, str, str, str]]:
    """(measure, original, replay, Δ, Δ%) of every measure either side knows, then the
    end-reason buckets."""
    cells = [
        (
            VOICE_LABELS[row.name],
            format_number(row.original),
            format_number(row.replay),
            format_signed(row.delta),
            format_percent(row.percent),
        )
        for row in section.call
        if _known(row)
    ]
    if section.original_end_reason or section.replay_end_reason:
        cells.append(
            (
                "end reason",
                section.original_end_reason or "-",
                section.replay_end_reason or "-",
                "",
                "",
            )
        )
    return cells


def turn_cells(turn: VoiceTurnRows) -> list[str]:
    by_name = {row.name: row for row in turn.metrics}
    cells = []
    for name in TURN_COLUMNS:
        row = by_name.get(name)
        if row is None:
            cells.append("-")
        else:
            cells.append(f"{format_number(row.original)} → {format_number(row.replay)}")
    return cells


def describe_sources(section: VoiceSection) -> str:
    note = " (speech times estimated from the text replay)" if section.replay_estimated else ""
    return f"original from {section.original_source}, replay from {section.replay_source}{note}"


def voice_markdown_lines(report: Report) -> list[str]:
    section = report.voice
    if section is None:
        return []
    original, replay = report.identity.original.label, report.identity.replay.label
    lines = [
        "### Voice metrics",
        "",
        describe_sources(section),
        "",
        f"| call | {original} | {replay} | Δ | Δ% |",
        "|---|--:|--:|--:|--:|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in call_cells(section)]
    lines.append("")
    if section.turns:
        header = " | ".join(VOICE_LABELS[name] for name in TURN_COLUMNS)
        lines += [f"| turn | {header} |", "|--:|" + "--:|" * len(TURN_COLUMNS)]
        lines += [f"| {t.number} | " + " | ".join(turn_cells(t)) + " |" for t in section.turns]
        lines.append("")
    return lines


def voice_html_parts(report: Report) -> list[str]:
    section = report.voice
    if section is None:
        return []
    original, replay = report.identity.original.label, report.identity.replay.label
    parts = [
        "<h3>Voice metrics</h3>",
        f'<p class="muted">{escape(describe_sources(section))}</p>',
        '<table class="metrics voice">',
        f'<thead><tr><th>call</th><th class="num">{escape(original)}</th>'
        f'<th class="num">{escape(replay)}</th><th class="num">Δ</th>'
        '<th class="num">Δ%</th></tr></thead><tbody>',
    ]
    for label, *values in call_cells(section):
        tds = "".join(f'<td class="num">{escape(v)}</td>' for v in values)
        parts.append(f"<tr><td>{escape(label)}</td>{tds}</tr>")
    parts.append("</tbody></table>")
    if section.turns:
        header = "".join(f'<th class="num">{escape(VOICE_LABELS[n])}</th>' for n in TURN_COLUMNS)
        parts += [
            '<table class="metrics voice per-turn">',
            f'<thead><tr><th class="num">turn</th>{header}</tr></thead><tbody>',
        ]
        for turn in section.turns:
            tds = "".join(f'<td class="num">{escape(c)}</td>' for c in turn_cells(turn))
            parts.append(f'<tr><td class="num">{turn.number}</td>{tds}</tr>')
        parts.append("</tbody></table>")
    return parts


def voice_terminal_table(report: Report) -> Table | None:
    section = report.voice
    if section is None:
        return None
    original, replay = report.identity.original.label, report.identity.replay.label
    table = Table(title=f"voice: {describe_sources(section)}", title_justify="left")
    table.add_column("call")
    for header in (original, replay, "Δ", "Δ%"):
        table.add_column(header, justify="right")
    for cells in call_cells(section):
        table.add_row(*cells)
    for turn in section.turns:
        latency, words, interrupted = turn_cells(turn)
        table.add_row(
            f"turn {turn.number}", f"latency {latency}", f"words {words}", interrupted, ""
        )
    return table
