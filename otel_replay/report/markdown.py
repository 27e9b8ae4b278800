"""The Markdown report, for a pull-request comment (GitHub-flavoured).

Summary first, then what a reviewer needs to judge the change: the first divergent turn,
the tool-call changes, the changed turns side by side, metrics and scores; the full
transcript and the span-tree diff are collapsed. All recorded text is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from otel_replay.diff.metrics import MetricName
from otel_replay.diff.span_tree_model import DiffStatus
from otel_replay.diff.transcript import ToolCallStatus, TurnStatus, WordOp
from otel_replay.report.model import (
    MetricRow,
    Report,
    TranscriptTurnView,
    TrialsSection,
)
from otel_replay.report.outcome import (
    OUTCOME_COLUMNS,
    describe_origin,
    describe_outcome,
    list_outcome_rows,
)
from otel_replay.report.text import (
    METRIC_LABELS,
    TRIAL_ROWS_NOTE,
    describe_audio_source,
    describe_audio_turns,
    describe_sides,
    describe_span_changes,
    describe_span_name,
    describe_span_summary,
    describe_summary,
    describe_title,
    describe_tool_stability,
    describe_trial_spread,
    format_duration_delta,
    format_metric_pair,
    format_number,
    format_percent,
    format_signed,
    is_notable,
    is_recorded,
    list_trial_rows,
    recorded_turn_metrics,
)
from otel_replay.report.voice import voice_markdown_lines

__all__ = ["render_markdown"]

# Characters that start inline Markdown anywhere in a line (escaped text never starts a
# line, so block markers need nothing); `_` inside a word emphasises nothing in GFM.
_SPECIAL = re.compile(r"([\\`*\[\]|~]|(?<!\w)_|_(?!\w))")
# The `diff` highlighter colours lines by their first character; `!` marks a change.
_DIFF_MARKS: dict[DiffStatus, str] = {
    DiffStatus.SAME: " ",
    DiffStatus.CHANGED: "!",
    DiffStatus.ADDED: "+",
    DiffStatus.REMOVED: "-",
}


def render_markdown(reports: Sequence[Report]) -> str:
    """The reports as one Markdown document, one `##` section each."""
    sections = ["\n".join(_report_lines(report)) for report in reports]
    rows = list_outcome_rows(reports)
    if rows:  # several scenarios (variants): their outcomes first, one row each
        table = [
            "## otel-replay: outcomes per scenario",
            "",
            "| " + " | ".join(OUTCOME_COLUMNS) + " |",
            "|---" * len(OUTCOME_COLUMNS) + "|",
            *("| " + " | ".join(escape_markdown(cell) for cell in row) + " |" for row in rows),
        ]
        sections.insert(0, "\n".join(table))
    return "\n\n---\n\n".join(sections) + "\n"


def escape_markdown(text: str) -> str:
    """Recorded text as literal inline Markdown: one line, nothing interpreted."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return "<br>".join(text.splitlines()) if "\n" in text or "\r" in text else text


def code_span(text: str) -> str:
    """`text` as an inline code span, safe inside a table cell."""
    flat = " ".join(text.splitlines()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") else flat
    return f"{fence}{padded}{fence}"


def _code_block(lines: Iterable[str], language: str = "") -> list[str]:
    body = list(lines)
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *body, fence]


def _report_lines(report: Report) -> list[str]:
    identity = report.identity
    lines = [f"## otel-replay: {escape_markdown(describe_title(report))}", ""]
    context = escape_markdown(describe_sides(report))
    if identity.agent:
        context += f" · agent {code_span(identity.agent)} · status {identity.status}"
    lines += [context, "", f"**{escape_markdown(describe_summary(report))}**", ""]
    if report.outcome is not None:
        lines += [f"- {escape_markdown(line)}" for line in describe_outcome(report.outcome)]
        lines.append("")
    lines += _divergence_lines(report)
    lines += _changed_turn_lines(report)
    lines += _transcript_lines(report)
    lines += _audio_lines(report)
    lines += _metrics_lines(report)
    lines += voice_markdown_lines(report)
    lines += _score_lines(report)
    lines += _span_tree_lines(report)
    if report.trials is not None:
        lines += _trial_lines(report.trials)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _divergence_lines(report: Report) -> list[str]:
    first = report.summary.first_divergent_turn
    lines: list[str] = []
    if first is not None:
        turn = next(t for t in report.transcript if t.number == first)
        user = f": {escape_markdown(turn.user)}" if turn.user else ""
        lines += [f"**First divergent turn: {first}** ({turn.status.value}){user}", ""]
    if report.summary.tool_changes:
        lines += ["### Tool-call changes", ""]
        lines += [f"- {code_span(change)}" for change in report.summary.tool_changes]
        lines.append("")
    return lines


def _changed_turn_lines(report: Report) -> list[str]:
    changed = [t for t in report.transcript if t.status is not TurnStatus.SAME]
    if not changed:
        return []
    original, replay = report.identity.original.label, report.identity.replay.label
    lines = ["### Changed turns", ""]
    for turn in changed:
        origin = describe_origin(report, turn)
        marks = f"{turn.status.value}, {origin}" if origin else turn.status.value
        lines += [f"#### Turn {turn.number} ({marks})", ""]
        if turn.user is not None:
            lines += [f"> **user:** {escape_markdown(turn.user)}", ""]
        lines += [f"| | {escape_markdown(original)} | {escape_markdown(replay)} |", "|---|---|---|"]
        lines.append(f"| tools | {_tools_cell(turn, original=True)} | {_tools_cell(turn)} |")
        lines.append(f"| reply | {_reply_cell(turn, original=True)} | {_reply_cell(turn)} |")
        lines.append("")
        notes = [f"error: {turn.error}"] if turn.error else []
        notes += [f"note: {turn.note}"] if turn.note else []
        notes += turn.divergences
        lines += [f"- {escape_markdown(note)}" for note in notes]
        if notes:
            lines.append("")
    return lines


def _tools_cell(turn: TranscriptTurnView, *, original: bool = False) -> str:
    calls = []
    for step in turn.tool_calls:
        call = step.original if original else step.replay
        if call is None:
            continue
        text = code_span(call.text)
        calls.append(text if step.status is ToolCallStatus.SAME else f"**{text}**")
    return "<br>".join(calls) if calls else "(none)"


def _reply_cell(turn: TranscriptTurnView, *, original: bool = False) -> str:
    side = turn.original if original else turn.replay
    if side is None:
        return "(no such turn)"
    if not turn.reply_changed or turn.original is None or turn.replay is None:
        return escape_markdown(side.assistant) if side.assistant is not None else "(no reply)"
    hidden = WordOp.INSERT if original else WordOp.DELETE
    pieces = []
    for change in turn.reply_diff:
        if change.op is hidden:
            continue
        text = escape_markdown(change.text)
        tag = {WordOp.DELETE: "del", WordOp.INSERT: "ins"}.get(change.op)
        pieces.append(f"<{tag}>{text}</{tag}>" if tag else text)
    return " ".join(pieces)


def _transcript_lines(report: Report) -> list[str]:
    original, replay = report.identity.original.label, report.identity.replay.label
    lines = [
        "<details><summary>Full transcript "
        f"({len(report.transcript)} turn{'s' * (len(report.transcript) != 1)})</summary>",
        "",
        f"| turn | user | {escape_markdown(original)} | {escape_markdown(replay)} |",
        "|--:|---|---|---|",
    ]
    for turn in report.transcript:
        number = str(turn.number)
        if turn.status is not TurnStatus.SAME:
            number = f"**{number}** ({turn.status.value})"
        origin = describe_origin(report, turn)
        if origin:
            number += f" {origin}"
        user = escape_markdown(turn.user) if turn.user is not None else "(not recorded)"
        cells = []
        for is_original in (True, False):
            tools = _tools_cell(turn, original=is_original)
            reply = _reply_cell(turn, original=is_original)
            cells.append(reply if tools == "(none)" else f"{tools}<br>{reply}")
        lines.append(f"| {number} | {user} | {cells[0]} | {cells[1]} |")
    lines += ["", "</details>", ""]
    return lines


def _audio_lines(report: Report) -> list[str]:
    section = report.audio
    if section is None:
        return []
    lines = ["### Audio", ""]
    sides = (report.identity.original.label, report.identity.replay.label)
    for label, clip in zip(sides, (section.original, section.replay), strict=True):
        link = f"[{escape_markdown(clip.src)}]({clip.src})" if clip is not None else "-"
        lines.append(f"- {escape_markdown(label)}: {link}")
    source = describe_audio_source(report)
    if source:
        lines[-1] += f" · {escape_markdown(source)}"
    lines += [f"- {escape_markdown(line)}" for line in describe_audio_turns(report)]
    return [*lines, ""]


def _metric_cells(row: MetricRow) -> str:
    return (
        f"| {METRIC_LABELS[row.name]} | {format_number(row.original)} | "
        f"{format_number(row.replay)} | {format_signed(row.delta)} | "
        f"{format_percent(row.percent)} |"
    )


def _metrics_lines(report: Report) -> list[str]:
    original, replay = report.identity.original.label, report.identity.replay.label
    lines = [
        "### Metrics",
        "",
        f"| session | {escape_markdown(original)} | {escape_markdown(replay)} | Δ | Δ% |",
        "|---|--:|--:|--:|--:|",
    ]
    lines += [_metric_cells(row) for row in report.metrics.session if is_recorded(row)]
    lines.append("")
    names = recorded_turn_metrics(report.metrics.turns)
    if names:
        lines += [
            f"<details><summary>Per turn ({escape_markdown(original)} → "
            f"{escape_markdown(replay)})</summary>",
            "",
            "| turn | " + " | ".join(METRIC_LABELS[name] for name in names) + " |",
            "|--:|" + "--:|" * len(names),
        ]
        for turn in report.metrics.turns:
            by_name: dict[MetricName, MetricRow] = {row.name: row for row in turn.metrics}
            cells = []
            for name in names:
                row = by_name.get(name)
                text = format_metric_pair(row) if row is not None else "-"
                cells.append(f"**{text}**" if row is not None and is_notable(row) else text)
            lines.append(f"| {turn.number} | " + " | ".join(cells) + " |")
        lines += ["", "</details>", ""]
    return lines


def _score_lines(report: Report) -> list[str]:
    if not report.scores:
        return []
    lines = [
        "### Scores",
        "",
        "| evaluator | turn | result | value | detail |",
        "|---|--:|---|--:|---|",
    ]
    for score in report.scores:
        turn = "session" if score.turn is None else str(score.turn + 1)
        result = "✅ pass" if score.passed else "❌ **fail**"
        lines.append(
            f"| {code_span(score.evaluator)} | {turn} | {result} | "
            f"{format_number(score.value)} | {escape_markdown(score.detail)} |"
        )
    lines.append("")
    return lines


def _span_tree_lines(report: Report) -> list[str]:
    section = report.span_tree
    original = escape_markdown(report.identity.original.label)
    replay = escape_markdown(report.identity.replay.label)
    body = []
    for row in section.rows:
        text = f"{_DIFF_MARKS[row.status]} {'  ' * row.depth}{describe_span_name(row)}"
        details = [format_duration_delta(row.duration_unix_nano), describe_span_changes(row)]
        extra = "  ".join(d for d in details if d and d != "0")
        body.append(f"{text}    {extra}" if extra else text)
    return [
        f"<details><summary>Span-tree diff: {describe_span_summary(section.summary)}</summary>",
        "",
        f"`!` changed, `+` added ({replay} only), `-` removed ({original} only); times are "
        f"{replay} minus {original}.",
        "",
        *_code_block(body, "diff"),
        "",
        "</details>",
        "",
    ]


def _trial_lines(trials: TrialsSection) -> list[str]:
    lines = [
        f"### Trials ({trials.trials} runs)",
        "",
        "| metric | turn | original | mean ± stdev | min – max | verdict |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for row in list_trial_rows(trials):
        spread, bounds, verdict = describe_trial_spread(row)
        turn = "session" if row.turn is None else str(row.turn)
        verdict = f"**{verdict}**" if row.beyond_noise else verdict
        lines.append(
            f"| {METRIC_LABELS[row.name]} | {turn} | {format_number(row.original)} | "
            f"{spread} | {bounds} | {verdict} |"
        )
    lines += ["", TRIAL_ROWS_NOTE, ""]
    lines += [f"- {escape_markdown(line)}" for line in describe_tool_stability(trials)]
    lines.append("")
    return lines
