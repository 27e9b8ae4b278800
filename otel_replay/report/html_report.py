"""The HTML report: one self-contained file, readable offline.

Inline CSS and a few lines of inline JavaScript, nothing fetched (a Content-Security-Policy
forbids it). The span trees stand side by side with every row marked same, changed, added
or removed; the transcript diff marks changed tool calls and reply words. Every recorded
string passes through `html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from otel_replay.diff.metrics import MetricName
from otel_replay.diff.span_tree_model import DiffStatus
from otel_replay.diff.transcript import ToolCallStatus, TurnStatus, WordOp
from otel_replay.report.html_assets import (
    AUDIO_SCRIPT,
    AUDIO_STYLE_SHEET,
    SCRIPT,
    SIMULATION_STYLE_SHEET,
    STYLE_SHEET,
    content_security_policy,
)
from otel_replay.report.model import (
    AttributeChangeView,
    AudioClipView,
    AudioSection,
    MetricRow,
    Report,
    SpanDiffRow,
    TranscriptTurnView,
    TrialsSection,
)
from otel_replay.report.outcome import (
    OUTCOME_COLUMNS,
    describe_origin,
    describe_outcome,
    has_simulated_turns,
    list_outcome_rows,
)
from otel_replay.report.text import (
    METRIC_LABELS,
    TRIAL_ROWS_NOTE,
    describe_audio_source,
    describe_sides,
    describe_span_changes,
    describe_span_summary,
    describe_summary,
    describe_title,
    describe_tool_stability,
    describe_trial_spread,
    format_duration_delta,
    format_json_value,
    format_metric_pair,
    format_number,
    format_percent,
    format_signed,
    is_notable,
    is_recorded,
    list_trial_rows,
    recorded_turn_metrics,
)
from otel_replay.report.voice import voice_html_parts

__all__ = ["render_html"]

# Attribute values can be whole prompts; the JSON report holds them in full.
VALUE_LIMIT = 600

_MARKS: dict[DiffStatus, str] = {
    DiffStatus.SAME: "",
    DiffStatus.CHANGED: "~",
    DiffStatus.ADDED: "+",
    DiffStatus.REMOVED: "−",
}


def render_html(reports: Sequence[Report]) -> str:
    """The reports as one HTML document."""
    title = (
        f"otel-replay: {describe_title(reports[0])}"
        if len(reports) == 1
        else f"otel-replay: {len(reports)} reports"
    )
    media = [clip.src for report in reports for clip in _audio_clips(report.audio)]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" '
        f'content="{_attribute(content_security_policy(media))}">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE_SHEET}{AUDIO_STYLE_SHEET if media else ''}"
        f"{SIMULATION_STYLE_SHEET if any(has_simulated_turns(r) for r in reports) else ''}"
        "</style>",
        "</head>",
        "<body>",
        "<h1>otel-replay report</h1>",
    ]
    if len(reports) > 1:
        parts.append("<nav><ul>")
        parts += [
            f'<li><a href="#report-{n}">{escape(describe_title(r))}</a>: '
            f"{escape(describe_summary(r))}</li>"
            for n, r in enumerate(reports, 1)
        ]
        parts.append("</ul></nav>")
    rows = list_outcome_rows(reports)
    if rows:  # several scenarios (variants): their outcomes, one row each
        parts.append('<h2>Outcomes per scenario</h2><table class="outcomes"><thead><tr>')
        parts += [f"<th>{escape(column)}</th>" for column in OUTCOME_COLUMNS]
        parts.append("</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</tbody></table>")
    for number, report in enumerate(reports, 1):
        parts += _report_section(report, number)
    parts += [f"<script>{SCRIPT}{AUDIO_SCRIPT if media else ''}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _report_section(report: Report, number: int) -> list[str]:
    identity = report.identity
    verdict = "identical" if report.summary.identical else "different"
    parts = [
        f'<section class="report" id="report-{number}">',
        f"<h2>{escape(describe_title(report))}</h2>",
        f'<p class="muted">{escape(describe_sides(report))}</p>',
    ]
    if identity.agent:
        parts.append(
            f'<p class="muted">agent <code>{escape(identity.agent)}</code> · status '
            f"{escape(identity.status or '')}</p>"
        )
    parts.append(f'<p class="verdict {verdict}">{escape(describe_summary(report))}</p>')
    if report.outcome is not None:
        parts.append('<ul class="outcome">')
        parts += [f"<li>{escape(line)}</li>" for line in describe_outcome(report.outcome)]
        parts.append("</ul>")
    if report.summary.tool_changes:
        parts += ["<h3>Tool-call changes</h3>", '<ul class="tool-changes">']
        parts += [
            f'<li class="tool-change"><code>{escape(change)}</code></li>'
            for change in report.summary.tool_changes
        ]
        parts.append("</ul>")
    parts.append(
        '<p><label class="toggle" hidden><input type="checkbox"> show only differences</label></p>'
    )
    parts += _transcript(report, number)
    if report.audio is not None:
        parts += _audio(report, report.audio)
    parts += _metrics(report)
    parts += voice_html_parts(report)
    parts += _scores(report)
    parts += _span_trees(report)
    if report.trials is not None:
        parts += _trials(report.trials)
    parts.append("</section>")
    return parts


def _transcript(report: Report, number: int) -> list[str]:
    original, replay = report.identity.original.label, report.identity.replay.label
    first = report.summary.first_divergent_turn
    heading = "<h3>Transcript</h3>"
    if first is not None:
        heading = (
            f'<h3>Transcript <span class="muted">· first divergent turn '
            f'<a href="#r{number}-turn-{first}">{first}</a></span></h3>'
        )
    parts = [
        heading,
        '<table class="transcript">',
        '<colgroup><col class="turn"><col class="user"><col><col></colgroup>',
        f"<thead><tr><th>turn</th><th>user</th><th>{escape(original)}</th>"
        f"<th>{escape(replay)}</th></tr></thead>",
        "<tbody>",
    ]
    for turn in report.transcript:
        badge = (
            ""
            if turn.status is TurnStatus.SAME
            else f'<br><span class="badge">{escape(turn.status.value)}</span>'
        )
        origin = describe_origin(report, turn)
        if origin:
            badge += f'<br><span class="badge {origin}">{origin}</span>'
        user = escape(turn.user) if turn.user is not None else '<span class="muted">—</span>'
        parts.append(
            f'<tr class="turn {turn.status.value}" id="r{number}-turn-{turn.number}">'
            f"<td>{turn.number}{badge}</td><td>{user}</td>"
            f"<td>{_side(turn, original=True)}</td><td>{_side(turn, original=False)}</td></tr>"
        )
    parts += ["</tbody>", "</table>"]
    return parts


def _side(turn: TranscriptTurnView, *, original: bool) -> str:
    side = turn.original if original else turn.replay
    if side is None:
        return '<span class="muted">(no such turn)</span>'
    which = "original" if original else "replay"
    tools = []
    for step in turn.tool_calls:
        call = step.original if original else step.replay
        if call is None:
            continue
        tools.append(
            f'<li class="tool {step.status.value} {which}">{escape(call.text)}</li>'
            if step.status is not ToolCallStatus.SAME
            else f'<li class="tool same">{escape(call.text)}</li>'
        )
    html = f'<ul class="tools">{"".join(tools)}</ul>' if tools else ""
    html += f'<div class="reply">{_reply(turn, side.assistant, original=original)}</div>'
    if not original:
        notes = [f'<p class="note error">error: {escape(turn.error)}</p>'] if turn.error else []
        notes += [f'<p class="note">note: {escape(turn.note)}</p>'] if turn.note else []
        notes += [f'<p class="note">{escape(d)}</p>' for d in turn.divergences]
        html += "".join(notes)
    return html


def _reply(turn: TranscriptTurnView, text: str | None, *, original: bool) -> str:
    if not turn.reply_changed or turn.original is None or turn.replay is None:
        return escape(text) if text is not None else '<span class="muted">(no reply)</span>'
    hidden = WordOp.INSERT if original else WordOp.DELETE
    pieces = []
    for change in turn.reply_diff:
        if change.op is hidden:
            continue
        tag = {WordOp.DELETE: "del", WordOp.INSERT: "ins"}.get(change.op)
        words = escape(change.text)
        pieces.append(f"<{tag}>{words}</{tag}>" if tag else words)
    return " ".join(pieces)


def _attribute(text: str) -> str:
    """Text for a double-quoted attribute, single quotes kept (a policy is full of them)."""
    return escape(text, quote=False).replace('"', "&quot;")


def _audio_clips(section: AudioSection | None) -> list[AudioClipView]:
    if section is None:
        return []
    clips = [section.original, section.replay]
    clips += [clip for turn in section.turns for clip in (turn.original, turn.replay)]
    return [clip for clip in clips if clip is not None]


def _audio(report: Report, section: AudioSection) -> list[str]:
    original, replay = report.identity.original.label, report.identity.replay.label
    note = describe_audio_source(report)
    parts = [
        f'<h3>Audio <span class="muted">· {escape(replay)}: {escape(note)}</span></h3>'
        if note
        else "<h3>Audio</h3>",
        '<table class="audio"><colgroup><col class="turn"><col><col></colgroup>',
        f"<thead><tr><th>turn</th><th>{escape(original)}</th><th>{escape(replay)}</th>"
        "</tr></thead><tbody>",
        f"<tr><td>call</td><td>{_player(section.original)}</td>"
        f"<td>{_player(section.replay)}</td></tr>",
    ]
    parts += [
        f"<tr><td>{turn.number}</td><td>{_player(turn.original)}</td>"
        f"<td>{_player(turn.replay)}</td></tr>"
        for turn in section.turns
    ]
    parts.append("</tbody></table>")
    return parts


def _player(clip: AudioClipView | None) -> str:
    """An audio element for the clip; a stretch of a recording plays by media fragment
    (`#t=start,end`), so the browser seeks to it and stops at its end."""
    if clip is None:
        return '<span class="muted">—</span>'
    data = ""
    fragment = ""
    if clip.start_seconds is not None or clip.end_seconds is not None:
        start = clip.start_seconds or 0.0
        fragment = f"#t={start:.3f}" + (
            f",{clip.end_seconds:.3f}" if clip.end_seconds is not None else ""
        )
        data = f' data-start="{start:.3f}"'
        if clip.end_seconds is not None:
            data += f' data-end="{clip.end_seconds:.3f}"'
    src = escape(clip.src + fragment)
    return (
        f'<audio controls preload="metadata" src="{src}"{data}></audio>'
        f'<a class="muted" href="{escape(clip.src)}">{escape(clip.src)}</a> '
        '<span class="audio-length muted"></span>'
    )


def _metric_row(row: MetricRow) -> str:
    cls = ' class="changed"' if is_notable(row) else ""
    return (
        f"<tr{cls}><td>{escape(METRIC_LABELS[row.name])}</td>"
        f'<td class="num">{format_number(row.original)}</td>'
        f'<td class="num">{format_number(row.replay)}</td>'
        f'<td class="num">{format_signed(row.delta)}</td>'
        f'<td class="num">{format_percent(row.percent)}</td></tr>'
    )


def _metrics(report: Report) -> list[str]:
    original, replay = report.identity.original.label, report.identity.replay.label
    parts = [
        "<h3>Metrics</h3>",
        '<table class="metrics">',
        f'<thead><tr><th>session</th><th class="num">{escape(original)}</th>'
        f'<th class="num">{escape(replay)}</th><th class="num">Δ</th>'
        '<th class="num">Δ%</th></tr></thead><tbody>',
    ]
    parts += [_metric_row(row) for row in report.metrics.session if is_recorded(row)]
    parts.append("</tbody></table>")
    names = recorded_turn_metrics(report.metrics.turns)
    if names:
        header = "".join(f'<th class="num">{escape(METRIC_LABELS[n])}</th>' for n in names)
        parts += [
            f'<h3>Per turn <span class="muted">({escape(original)} → {escape(replay)})</span></h3>',
            '<table class="metrics per-turn">',
            f'<thead><tr><th class="num">turn</th>{header}</tr></thead><tbody>',
        ]
        for turn in report.metrics.turns:
            by_name: dict[MetricName, MetricRow] = {row.name: row for row in turn.metrics}
            cells = []
            for name in names:
                row = by_name.get(name)
                text = format_metric_pair(row) if row is not None else "-"
                cls = "num changed" if row is not None and is_notable(row) else "num"
                cells.append(f'<td class="{cls}">{escape(text)}</td>')
            parts.append(f'<tr><td class="num">{turn.number}</td>{"".join(cells)}</tr>')
        parts.append("</tbody></table>")
    return parts


def _scores(report: Report) -> list[str]:
    if not report.scores:
        return []
    parts = [
        "<h3>Scores</h3>",
        '<table class="scores"><colgroup><col style="width:14em"><col style="width:6em">'
        '<col style="width:5em"><col style="width:6em"><col></colgroup>',
        '<thead><tr><th>evaluator</th><th class="num">turn</th><th>result</th>'
        '<th class="num">value</th><th>detail</th></tr></thead><tbody>',
    ]
    for score in report.scores:
        result = (
            '<span class="pass">pass</span>' if score.passed else '<span class="fail">FAIL</span>'
        )
        turn = "session" if score.turn is None else str(score.turn + 1)
        parts.append(
            f'<tr><td><code>{escape(score.evaluator)}</code></td><td class="num">{turn}</td>'
            f'<td>{result}</td><td class="num">{format_number(score.value)}</td>'
            f"<td>{escape(score.detail)}</td></tr>"
        )
    parts.append("</tbody></table>")
    return parts


def _span_trees(report: Report) -> list[str]:
    section = report.span_tree
    original, replay = report.identity.original.label, report.identity.replay.label
    parts = [
        f'<h3>Span trees <span class="muted">· {escape(describe_span_summary(section.summary))}'
        "</span></h3>",
        '<table class="spans">',
        '<colgroup><col><col class="delta"><col></colgroup>',
        f'<thead><tr><th>{escape(original)}</th><th class="num">Δ time</th>'
        f"<th>{escape(replay)}</th></tr></thead><tbody>",
    ]
    for row in section.rows:
        parts.append(_span_row(row))
        if row.attribute_changes or row.output_changes or describe_span_changes(row):
            parts.append(_changes_row(row))
    parts.append("</tbody></table>")
    return parts


def _span_cell(row: SpanDiffRow, name: str | None, which: str) -> str:
    if name is None:
        return f'<td class="side {which}"></td>'
    mark = _MARKS[row.status]
    return (
        f'<td class="side {which}" style="--depth:{row.depth}">'
        f'<span class="mark">{mark}</span>{escape(name)}</td>'
    )


def _span_row(row: SpanDiffRow) -> str:
    return (
        f'<tr class="span {row.status.value}">'
        f"{_span_cell(row, row.original_name, 'original')}"
        f'<td class="num">{escape(format_duration_delta(row.duration_unix_nano))}</td>'
        f"{_span_cell(row, row.replay_name, 'replay')}</tr>"
    )


def _changes_row(row: SpanDiffRow) -> str:
    summary = escape(describe_span_changes(row) or "details")
    changes = [*row.output_changes, *row.attribute_changes]
    table = ""
    if changes:
        table = (
            '<table class="attrs"><colgroup><col style="width:22%"><col><col></colgroup>'
            "<thead><tr><th>attribute</th><th>original</th><th>replay</th></tr></thead>"
            f"<tbody>{''.join(_change_row(c) for c in changes)}</tbody></table>"
        )
    return (
        f'<tr class="changes span {row.status.value}"><td colspan="3">'
        f"<details><summary>{summary}</summary>{table}</details></td></tr>"
    )


def _change_row(change: AttributeChangeView) -> str:
    return (
        f"<tr><td><code>{escape(change.key)}</code></td>"
        f"<td><pre>{escape(format_json_value(change.original, VALUE_LIMIT))}</pre></td>"
        f"<td><pre>{escape(format_json_value(change.replay, VALUE_LIMIT))}</pre></td></tr>"
    )


def _trials(trials: TrialsSection) -> list[str]:
    parts = [
        f'<h3>Trials <span class="muted">({trials.trials} runs)</span></h3>',
        '<table class="metrics trials"><thead><tr><th>metric</th><th class="num">turn</th>'
        '<th class="num">original</th><th class="num">mean ± stdev</th>'
        '<th class="num">min – max</th><th>verdict</th></tr></thead><tbody>',
    ]
    for row in list_trial_rows(trials):
        spread, bounds, verdict = describe_trial_spread(row)
        parts.append(
            f'<tr class="{"changed" if row.beyond_noise else "same"}">'
            f"<td>{escape(METRIC_LABELS[row.name])}</td>"
            f'<td class="num">{"session" if row.turn is None else row.turn}</td>'
            f'<td class="num">{format_number(row.original)}</td>'
            f'<td class="num">{spread}</td><td class="num">{bounds}</td><td>{verdict}</td></tr>'
        )
    parts += ["</tbody></table>", f'<p class="muted">{TRIAL_ROWS_NOTE}</p>']
    lines = describe_tool_stability(trials)
    if lines:
        parts += ["<ul>", *(f"<li>{escape(line)}</li>" for line in lines), "</ul>"]
    return parts
