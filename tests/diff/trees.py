"""Builders of small agent traces for the diff tests: agent -> turns -> chat and tool spans."""

from __future__ import annotations

import json
from dataclasses import replace

from otel_replay.core.records import AnyValue, Span, SpanLink
from otel_replay.diff.span_tree import REPLAY_LINK_TYPE_KEY, REPLAY_OF
from tests.builders import SECOND, make_span


def agent_span(trace: int, span: int, *, start: int = 0, duration: int = 60 * SECOND) -> Span:
    attributes: dict[str, AnyValue] = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "support",
    }
    return make_span(
        trace,
        span,
        name="invoke_agent support",
        start=start,
        duration=duration,
        attributes=attributes,
    )


def turn_span(trace: int, span: int, parent: int, *, start: int = 0) -> Span:
    return make_span(trace, span, parent, name="turn", start=start, duration=5 * SECOND)


def chat_span(
    trace: int,
    span: int,
    parent: int | None,
    *,
    start: int = 0,
    duration: int = SECOND,
    model: str = "gpt-4o",
    reply: str = "ok",
    extra: dict[str, AnyValue] | None = None,
) -> Span:
    attributes: dict[str, AnyValue] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": reply}]}]
        ),
        **(extra or {}),
    }
    return make_span(
        trace,
        span,
        parent,
        name=f"chat {model}",
        start=start,
        duration=duration,
        attributes=attributes,
    )


def tool_span(
    trace: int,
    span: int,
    parent: int | None,
    tool: str,
    *,
    start: int = 0,
    duration: int = SECOND,
    arguments: dict[str, AnyValue] | None = None,
    name: str | None = None,
    extra: dict[str, AnyValue] | None = None,
) -> Span:
    attributes: dict[str, AnyValue] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "gen_ai.tool.call.arguments": json.dumps(arguments or {}),
        **(extra or {}),
    }
    return make_span(
        trace,
        span,
        parent,
        name=name or f"execute_tool {tool}",
        start=start,
        duration=duration,
        attributes=attributes,
    )


def link_to(span: Span, original: Span) -> Span:
    """`span` with a replay_of link to `original`."""
    link = SpanLink(
        trace_id=original.trace_id,
        span_id=original.span_id,
        attributes={REPLAY_LINK_TYPE_KEY: REPLAY_OF},
    )
    return replace(span, links=(*span.links, link))


def move_to_trace(spans: list[Span], trace: int) -> list[Span]:
    """The same spans under another trace id, as a replay would record them."""
    trace_id = f"{trace:032x}"
    return [replace(span, trace_id=trace_id) for span in spans]


def build_session(trace: int, turns: int = 3) -> list[Span]:
    """An agent with `turns` turns of chat -> search tool -> chat."""
    spans = [agent_span(trace, 1)]
    for turn in range(turns):
        base = 10 * (turn + 1)
        start = turn * 10 * SECOND
        spans += [
            turn_span(trace, base, 1, start=start),
            chat_span(trace, base + 1, base, start=start, reply="calling search"),
            tool_span(
                trace,
                base + 2,
                base,
                "search",
                start=start + SECOND,
                arguments={"q": f"question {turn}"},
            ),
            chat_span(trace, base + 3, base, start=start + 2 * SECOND, reply=f"answer {turn}"),
        ]
    return spans
