"""The terminal report (rich): the transcript side by side, metrics, scores, span-tree diff.

`report_renderables` gives what a console prints; `render_terminal` renders to a string at a
fixed width without colour (the .txt report and the golden files). Word changes carry text
markers as well as colour, `[-removed-]` and `{+added+}`, so they survive without colour.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from otel_replay.diff.metrics import MetricName
from otel_replay.diff.span_tree_model import DiffStatus
from otel_replay.diff.transcript import ToolCallStatus, TurnStatus, WordOp
from otel_replay.report.model import (
    AudioSection,
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
    STATUS_MARKS,
    TRIAL_ROWS_NOTE,
    describe_audio_source,
    describe_audio_turns,
    describe_sides,
    describe_span_changes,
    describe_span_name,
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
from otel_replay.report.voice import voice_terminal_table

__all__ = ["DEFAULT_WIDTH", "MAX_SPAN_ROWS", "render_terminal", "report_renderables"]

DEFAULT_WIDTH = 100
# A long session's span tree would bury the rest; the files (HTML, JSON) hold every row.
MAX_SPAN_ROWS = 200

_STATUS_STYLES: dict[str, str] = {
    DiffStatus.SAME: "",
    DiffStatus.CHANGED: "yellow",
    DiffStatus.ADDED: "green",
    DiffStatus.REMOVED: "red",
}


def render_terminal(reports: Sequence[Report], width: int = DEFAULT_WIDTH) -> str:
    """The reports as plain text, `width` columns wide."""
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        color_system=None,
        force_terminal=False,
        legacy_windows=False,
        soft_wrap=False,
        emoji=False,
        highlight=False,
    )
    for renderable in report_renderables(reports):
        console.print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def report_renderables(reports: Sequence[Report]) -> list[RenderableType]:
    """What a rich console prints for these reports, one after the other."""
    blocks: list[RenderableType] = []
    rows = list_outcome_rows(reports)
    if rows:  # several scenarios (variants): their outcomes first, one row each
        table = Table(title="outcomes per scenario", box=box.SIMPLE_HEAD, title_justify="left")
        for column in OUTCOME_COLUMNS:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        blocks.append(table)
    for position, report in enumerate(reports):
        if position or rows:
            blocks.append(Text(""))
        blocks.extend(_report_blocks(report))
    return blocks


def _report_blocks(report: Report) -> list[RenderableType]:
    identity = report.identity
    header = Text(describe_title(report), style="bold")
    lines: list[RenderableType] = [Rule(header, align="left"), Text(describe_sides(report))]
    if identity.agent or identity.status:
        lines.append(Text(f"agent {identity.agent} · status {identity.status}"))
    verdict_style = "green" if report.summary.identical else "bold yellow"
    lines.append(Text(describe_summary(report), style=verdict_style))
    if report.outcome is not None:
        reached = report.outcome.reached
        style = "" if reached is None else "green" if reached else "bold red"
        lines.extend(Text(line, style=style) for line in describe_outcome(report.outcome))
    if report.summary.tool_changes:
        lines.append(Text("\ntool-call changes", style="bold"))
        lines.extend(Text(f"  {change}", style="yellow") for change in report.summary.tool_changes)
    lines.append(_section("transcript"))
    lines.append(_transcript_table(report))
    if report.audio is not None:
        lines.append(_section("audio"))
        lines.extend(Text(f"  {line}") for line in _audio_lines(report, report.audio))
    lines.append(_section("metrics"))
    lines.append(_session_metrics_table(report))
    per_turn = _turn_metrics_table(report)
    if per_turn is not None:
        lines.append(per_turn)
    voice = voice_terminal_table(report)
    if voice is not None:
        lines.append(_section("voice metrics"))
        lines.append(voice)
    if report.scores:
        lines.append(_section("scores"))
        lines.append(_scores_table(report))
    lines.append(_section("span-tree diff"))
    lines.append(_span_tree_table(report))
    if report.trials is not None:
        lines.append(_section(f"trials ({report.trials.trials} runs)"))
        lines.append(_trials_block(report.trials))
    return lines


def _audio_lines(report: Report, section: AudioSection) -> list[str]:
    sides = (report.identity.original.label, report.identity.replay.label)
    files = [
        f"{label}: {clip.src if clip is not None else '-'}"
        for label, clip in zip(sides, (section.original, section.replay), strict=True)
    ]
    source = describe_audio_source(report)
    if source:
        files[-1] += f" · {source}"
    return [*files, *describe_audio_turns(report)]


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _transcript_table(report: Report) -> RenderableType:
    original, replay = report.identity.original.label, report.identity.replay.label
    table = Table(box=box.SIMPLE_HEAD, expand=True, show_lines=False, padding=(0, 1))
    table.add_column("turn", no_wrap=True, width=7)
    table.add_column("user", ratio=2, overflow="fold")
    table.add_column(original, ratio=4, overflow="fold")
    table.add_column(replay, ratio=4, overflow="fold")
    for turn in report.transcript:
        status_style = "" if turn.status is TurnStatus.SAME else "yellow"
        number = Text(str(turn.number))
        if turn.status is not TurnStatus.SAME:
            number.append(f"\n{turn.status.value}", style=status_style)
        origin = describe_origin(report, turn)
        if origin:
            number.append(f"\n{origin}", style="cyan")
        table.add_row(
            number,
            Text(turn.user if turn.user is not None else "(not recorded)"),
            _side_cell(turn, original=True),
            _side_cell(turn, original=False),
            end_section=True,
        )
    return Group(
        table,
        Text(
            f"tools: · same  - {original}  + {replay}  ~ other arguments · "
            f"reply words: [-{original}-] {{+{replay}+}}",
            style="dim",
        ),
    )


def _side_cell(turn: TranscriptTurnView, *, original: bool) -> Text:
    side = turn.original if original else turn.replay
    cell = Text()
    if side is None:
        cell.append("(no such turn)", style="dim")
        return cell
    for step in turn.tool_calls:
        call = step.original if original else step.replay
        if call is None:
            continue
        if step.status is ToolCallStatus.SAME:
            cell.append(f"· {call.text}\n", style="magenta")
            continue
        mark = {ToolCallStatus.CHANGED: "~", ToolCallStatus.ADDED: "+"}.get(step.status, "-")
        cell.append(f"{mark} {call.text}\n", style="bold red" if original else "bold green")
    if not turn.reply_changed or (turn.original is None or turn.replay is None):
        cell.append(side.assistant if side.assistant is not None else "(no reply)")
    else:
        _append_word_diff(cell, turn, original=original)
    if not original:
        if turn.error:
            cell.append(f"\nerror: {turn.error}", style="red")
        if turn.note:
            cell.append(f"\nnote: {turn.note}", style="yellow")
        for divergence in turn.divergences:
            cell.append(f"\n! {divergence}", style="yellow")
    return cell


def _append_word_diff(cell: Text, turn: TranscriptTurnView, *, original: bool) -> None:
    hidden = WordOp.INSERT if original else WordOp.DELETE
    pieces: list[tuple[str, str]] = []
    for change in turn.reply_diff:
        if change.op is hidden:
            continue
        if change.op is WordOp.EQUAL:
            pieces.append((change.text, ""))
        elif change.op is WordOp.DELETE:
            pieces.append((f"[-{change.text}-]", "red strike"))
        else:
            pieces.append((f"{{+{change.text}+}}", "green underline"))
    for position, (text, style) in enumerate(pieces):
        if position:
            cell.append(" ")
        cell.append(text, style=style)


def _metric_cells(row: MetricRow) -> tuple[str, str, str, str, str]:
    return (
        METRIC_LABELS[row.name],
        format_number(row.original),
        format_number(row.replay),
        format_signed(row.delta),
        format_percent(row.percent),
    )


def _session_metrics_table(report: Report) -> Table:
    table = Table(title="session", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("metric")
    for label in (report.identity.original.label, report.identity.replay.label, "Δ", "Δ%"):
        table.add_column(label, justify="right")
    for row in report.metrics.session:
        if not is_recorded(row):
            continue
        style = "yellow" if is_notable(row) else ""
        table.add_row(*_metric_cells(row), style=style)
    return table


def _turn_metrics_table(report: Report) -> Table | None:
    names = recorded_turn_metrics(report.metrics.turns)
    if not names:
        return None
    table = Table(
        title=f"per turn ({report.identity.original.label} {'→'} {report.identity.replay.label})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        expand=True,
    )
    table.add_column("turn", justify="right", no_wrap=True)
    for name in names:
        table.add_column(METRIC_LABELS[name], justify="right", overflow="fold")
    for turn in report.metrics.turns:
        by_name: dict[MetricName, MetricRow] = {row.name: row for row in turn.metrics}
        cells: list[Text] = [Text(str(turn.number))]
        for name in names:
            row = by_name.get(name)
            if row is None:
                cells.append(Text("-"))
                continue
            pair = format_metric_pair(row)
            # The change goes on its own line so each column stays narrow.
            cells.append(Text(pair.replace(" (", "\n("), style="yellow" if is_notable(row) else ""))
        table.add_row(*cells)
    return table


def _scores_table(report: Report) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), expand=True)
    table.add_column("evaluator", no_wrap=True)
    table.add_column("turn", justify="right", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("detail", ratio=1, overflow="fold")
    for score in report.scores:
        table.add_row(
            score.evaluator,
            "session" if score.turn is None else str(score.turn + 1),
            Text("pass", style="green") if score.passed else Text("FAIL", style="bold red"),
            format_number(score.value),
            score.detail,
        )
    return table


def _span_tree_table(report: Report) -> RenderableType:
    original, replay = report.identity.original.label, report.identity.replay.label
    section = report.span_tree
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), expand=True)
    table.add_column("span", ratio=3, overflow="fold")
    table.add_column("Δ time", justify="right", no_wrap=True)
    table.add_column("changes", ratio=2, overflow="fold")
    rows = section.rows[:MAX_SPAN_ROWS]
    for row in rows:
        style = _STATUS_STYLES[row.status]
        name = Text(f"{STATUS_MARKS[row.status]} {'  ' * row.depth}{describe_span_name(row)}")
        name.stylize(style)
        label = describe_span_changes(row)
        if row.status in (DiffStatus.ADDED, DiffStatus.REMOVED):
            label = f"{row.status.value} ({replay if row.replay_name else original} only)"
        table.add_row(name, format_duration_delta(row.duration_unix_nano), Text(label, style=style))
    legend = Text(
        f"~ changed  + added ({replay} only)  - removed ({original} only)  "
        f"Δ time: {replay} - {original}",
        style="dim",
    )
    parts: list[RenderableType] = [table, legend]
    if len(section.rows) > len(rows):
        parts.append(Text(f"… {len(section.rows) - len(rows)} more span(s) in the file reports"))
    return Group(*parts)


def _trials_block(trials: TrialsSection) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), expand=True)
    for column in ("metric", "turn", "original", "mean ± stdev", "min – max", "verdict"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for row in list_trial_rows(trials):
        spread, bounds, verdict = describe_trial_spread(row)
        table.add_row(
            METRIC_LABELS[row.name],
            "session" if row.turn is None else str(row.turn),
            format_number(row.original),
            spread,
            bounds,
            Text(verdict, style="yellow" if row.beyond_noise else ""),
        )
    lines: list[RenderableType] = [table, Text(TRIAL_ROWS_NOTE, style="dim")]
    lines.extend(Text(line) for line in describe_tool_stability(trials))
    return Group(*lines)
