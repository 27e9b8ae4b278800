"""Terminal views of traces, conversations and runs (rich), and the JSON form of records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import JsonValue
from rich.table import Table
from rich.tree import Tree

from otel_replay.cli.tables import format_duration
from otel_replay.core.records import Span
from otel_replay.core.values import to_json_data
from otel_replay.session.trace_tree import TraceTree

if TYPE_CHECKING:
    from rich.console import RenderableType

    from otel_replay.core.runs import ReplayRun, TurnSide
    from otel_replay.semconv.model import Conversation


def _is_orphan(tree: TraceTree, span: Span) -> bool:
    return bool(span.parent_span_id) and span.parent_span_id not in tree.by_id


def _label(tree: TraceTree, span: Span) -> str:
    extra = " [yellow](orphan)[/]" if _is_orphan(tree, span) else ""
    status = " [red]ERROR[/]" if span.status_code == "error" else ""
    link = f" [cyan]↪ {len(span.links)} link(s)[/]" if span.links else ""
    return f"{span.name} [dim]{format_duration(span.duration_unix_nano)}[/]{status}{link}{extra}"


def span_tree(tree: TraceTree) -> Tree:
    """The trace as a rich tree, children in start order (no recursion: traces can be deep)."""
    rendered = Tree(f"trace {tree.trace_id}")
    stack: list[tuple[Tree, Span]] = [(rendered, root) for root in reversed(tree.roots)]
    while stack:
        parent, span = stack.pop()
        branch = parent.add(_label(tree, span))
        stack.extend((branch, child) for child in reversed(tree.children.get(span.span_id, ())))
    return rendered


def _span_fields(tree: TraceTree, span: Span) -> dict[str, JsonValue]:
    data = to_json_data(span)  # resource and scope included, attributes and all
    assert isinstance(data, dict)
    data["service_name"] = span.resource.service_name
    data["scope_name"] = span.scope.name
    data["duration_unix_nano"] = span.duration_unix_nano
    data["orphan"] = _is_orphan(tree, span)
    data["children"] = []
    return data


def trace_json(tree: TraceTree) -> dict[str, JsonValue]:
    """The trace as nested JSON-ready data (built without recursion)."""
    roots = [_span_fields(tree, root) for root in tree.roots]
    stack = list(zip(tree.roots, roots, strict=True))
    while stack:
        span, data = stack.pop()
        for child in tree.children.get(span.span_id, ()):
            child_data = _span_fields(tree, child)
            children = data["children"]
            assert isinstance(children, list)
            children.append(child_data)
            stack.append((child, child_data))
    return {"trace_id": tree.trace_id, "spans": list[JsonValue](roots)}


def _short_json(value: object, limit: int = 160) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(to_json_data(value), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def conversation_view(conversation: Conversation) -> list[RenderableType]:
    """A conversation as a person reads it: one panel per turn."""
    from rich.panel import Panel
    from rich.text import Text

    blocks: list[RenderableType] = [
        Text(
            f"session {conversation.session_id} · {len(conversation.turns)} turn(s) · "
            f"{len(conversation.trace_ids)} trace(s)"
            + (f" · user {conversation.user_id}" if conversation.user_id else ""),
            style="bold",
        )
    ]
    for turn in conversation.turns:
        body = Text()
        body.append("user: ", style="bold cyan")
        body.append(f"{turn.user_text if turn.user_text is not None else '(not recorded)'}\n")
        for tool in turn.tool_calls:
            body.append("  tool ", style="magenta")
            body.append(
                f"{tool.name}({_short_json(tool.arguments)}) → {_short_json(tool.result)}\n"
            )
            if tool.error:
                body.append(f"    error: {tool.error}\n", style="red")
        body.append("assistant: ", style="bold green")
        body.append(
            f"{turn.assistant_text if turn.assistant_text is not None else '(not recorded)'}"
        )
        for note in turn.notes:
            body.append(f"\n  note: {note}", style="yellow")
        tokens = f"{turn.usage.input_tokens or 0}→{turn.usage.output_tokens or 0} tokens"
        title = (
            f"turn {turn.index + 1} · {format_duration(turn.latency_unix_nano)} · {tokens} · "
            f"{len(turn.llm_calls)} LLM call(s)"
        )
        blocks.append(
            Panel(body, title=title, title_align="left", subtitle=f"trace {turn.trace_id}")
        )
    return blocks


def _tool_list(side: TurnSide | None) -> str:
    from otel_replay.diff.transcript import TranscriptToolCall, format_tool_calls

    if side is None:
        return "-"
    return format_tool_calls([TranscriptToolCall(t.name, t.arguments) for t in side.tool_calls])


def replay_table(run: ReplayRun) -> Table:
    """Per turn: original vs replayed reply and tool calls, replayed latency."""
    table = Table(title=f"replay {run.run_id} of {run.scenario} · {run.status}", show_lines=True)
    for column in (
        "turn",
        "user",
        "original",
        "replayed",
        "tool calls (original → replayed)",
        "ms",
    ):
        table.add_column(column, overflow="fold")
    marked = any(turn.simulated for turn in run.turns)  # then each turn says who spoke
    for turn in run.turns:
        replayed = turn.replayed
        reply = turn.error if turn.error else (replayed.assistant if replayed else turn.note) or ""
        tools = f"{_tool_list(turn.original)} → {_tool_list(replayed)}"
        changed = _tool_list(turn.original) != _tool_list(replayed)
        table.add_row(
            f"{turn.index + 1} {turn.origin.value}" if marked else str(turn.index + 1),
            _short_json(turn.user or "", 60),
            _short_json(turn.original.assistant or "", 80),
            f"[red]{reply}[/]" if turn.error else _short_json(reply, 80),
            f"[yellow]{tools}[/]" if changed else tools,
            f"{replayed.latency_ms:.0f}" if replayed and replayed.latency_ms is not None else "-",
        )
    return table
