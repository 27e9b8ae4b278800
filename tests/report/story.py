"""The support-agent incident, hand-made and deterministic: a replay run and both span lists.

Customer session support-session-003 had five turns. In production (the buggy agent) turn 4
("It's late, where is order 123?") refunded the order; the replay with the fix checks its
status instead. Each original turn is its own trace; the replay is one trace whose runner
spans (run, turns) frame the agent's spans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from otel_replay.core.records import AnyValue, Resource, Scope, Span, SpanKind, SpanLink
from otel_replay.core.runs import (
    ReplayedTurn,
    ReplayRun,
    RunStatus,
    Score,
    ToolCallSummary,
    TurnSide,
)
from otel_replay.diff.span_tree import REPLAY_LINK_TYPE_KEY, REPLAY_OF, REPLAY_SCAFFOLDING_SCOPE

SESSION = "support-session-003"
REPLAY_SESSION = "replay-7f3a9c"
RUN_ID = "run-7f3a9c"
MODEL = "scripted-support-1"
T0 = 1_768_471_200_000_000_000  # 2026-01-15T10:00:00Z
MS = 1_000_000
REPLAY_TRACE = f"{0xB0:032x}"

GREETING = "Happy to help. What is your order number?"
IN_TRANSIT = "Order 123 is in transit, arriving Friday."
REFUNDED = "I have refunded order 123."
WELCOME = "You're welcome! Anything else?"


@dataclass(frozen=True)
class StoryTurn:
    user: str
    reply: str
    tool: str | None
    latency_ms: int  # the agent span's duration
    tokens: tuple[int, int]  # of the first chat call; a second call adds 40 in, 12 out
    # The call the tool made to the shop's services when it ran for real: the refund in
    # production, the status check in the replay (a read-only tool run live).
    service_call: str | None = None


ORIGINAL_TURNS = (
    StoryTurn("Hello!", GREETING, None, 900, (120, 14)),
    StoryTurn("I ordered a lamp, order 123.", GREETING, None, 950, (150, 14)),
    StoryTurn(
        "Can you tell me the status of order 123?", IN_TRANSIT, "check_status", 1800, (190, 20)
    ),
    StoryTurn(
        "It's late, where is order 123?",
        REFUNDED,
        "issue_refund",
        2000,
        (240, 20),
        "POST /billing/refunds",
    ),
    StoryTurn("Thanks.", WELCOME, None, 800, (300, 10)),
)
REPLAYED_TURNS = (
    StoryTurn("Hello!", GREETING, None, 880, (120, 14)),
    StoryTurn("I ordered a lamp, order 123.", GREETING, None, 1000, (150, 14)),
    StoryTurn(
        "Can you tell me the status of order 123?", IN_TRANSIT, "check_status", 1750, (190, 20)
    ),
    StoryTurn(
        "It's late, where is order 123?",
        IN_TRANSIT,
        "check_status",
        2300,
        (240, 22),
        "GET /orders/123",
    ),
    StoryTurn("Thanks.", WELCOME, None, 820, (310, 10)),
)
ARGUMENTS = {"order_id": "123"}
RESULTS: dict[str, dict[str, str]] = {
    "check_status": {"order_id": "123", "status": "in transit, arriving Friday"},
    "issue_refund": {"order_id": "123", "refund": "issued"},
}


def original_trace_id(index: int) -> str:
    return f"{0xA0 + index:032x}"


def _span_id(side: int, index: int, step: int) -> str:
    return f"{side:02x}{index:02x}{step:012x}"


def _output(text: str | None, tool: str | None) -> str:
    parts: list[dict[str, AnyValue]] = []
    if text:
        parts.append({"type": "text", "content": text})
    if tool:
        parts.append({"type": "tool_call", "name": tool, "arguments": dict(ARGUMENTS)})
    return json.dumps([{"role": "assistant", "parts": parts}])


def _link(trace_id: str, span_id: str) -> tuple[SpanLink, ...]:
    return (SpanLink(trace_id, span_id, attributes={REPLAY_LINK_TYPE_KEY: REPLAY_OF}),)


def _span(
    trace_id: str,
    span_id: str,
    parent: str,
    name: str,
    start: int,
    duration_ms: int,
    attributes: dict[str, AnyValue],
    *,
    scope: str = "otel_replay.demo.support_agent",
    links: tuple[SpanLink, ...] = (),
) -> Span:
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=SpanKind.INTERNAL,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration_ms * MS,
        attributes=attributes,
        links=links,
        resource=Resource(attributes={"service.name": "support-agent"}),
        scope=Scope(name=scope),
    )


def _turn_spans(
    side: int, index: int, turn: StoryTurn, trace_id: str, parent: str, start: int, session: str
) -> list[Span]:
    """The agent's spans of one turn: invoke_agent -> chat [-> execute_tool -> chat]."""
    agent_id = _span_id(side, index, 1)
    first_chat_ms = 400 if turn.tool else turn.latency_ms - 100
    spans = [
        _span(
            trace_id,
            agent_id,
            parent,
            "invoke_agent support",
            start,
            turn.latency_ms,
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "support",
                "gen_ai.request.model": MODEL,
                "gen_ai.conversation.id": session,
            },
        ),
        _chat(trace_id, _span_id(side, index, 2), agent_id, start + 50 * MS, first_chat_ms, turn),
    ]
    if turn.tool:
        tool_start = start + 500 * MS
        spans.append(
            _span(
                trace_id,
                _span_id(side, index, 3),
                agent_id,
                f"execute_tool {turn.tool}",
                tool_start,
                300,
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": turn.tool,
                    "gen_ai.tool.call.arguments": json.dumps(ARGUMENTS),
                    "gen_ai.tool.call.result": json.dumps(RESULTS[turn.tool]),
                },
            )
        )
        if turn.service_call:
            spans.append(
                _span(
                    trace_id,
                    _span_id(side, index, 5),
                    _span_id(side, index, 3),
                    turn.service_call,
                    tool_start + 20 * MS,
                    250,
                    {"http.request.method": turn.service_call.split()[0]},
                    scope="opentelemetry.instrumentation.httpx",
                )
            )
        spans.append(
            _chat(
                trace_id,
                _span_id(side, index, 4),
                agent_id,
                tool_start + 400 * MS,
                turn.latency_ms - 950,
                turn,
                second=True,
            )
        )
    return spans


def _chat(
    trace_id: str,
    span_id: str,
    parent: str,
    start: int,
    duration_ms: int,
    turn: StoryTurn,
    *,
    second: bool = False,
) -> Span:
    input_tokens, output_tokens = turn.tokens
    if second:
        input_tokens, output_tokens = input_tokens + 40, 12
    text = turn.reply if second or not turn.tool else None
    return _span(
        trace_id,
        span_id,
        parent,
        f"chat {MODEL}",
        start,
        duration_ms,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": MODEL,
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": output_tokens,
            "gen_ai.output.messages": _output(text, None if second else turn.tool),
        },
    )


def original_spans() -> list[Span]:
    spans: list[Span] = []
    for index, turn in enumerate(ORIGINAL_TURNS):
        start = T0 + index * 30_000 * MS
        spans += _turn_spans(1, index, turn, original_trace_id(index), "", start, SESSION)
    return spans


def _linked(span: Span, original: Span | None) -> Span:
    if original is None:
        return span
    return Span(**{**span.__dict__, "links": _link(original.trace_id, original.span_id)})


def replay_spans() -> list[Span]:
    """The replay trace: runner spans around the agent's, each linked to its original."""
    originals = {s.span_id[2:]: s for s in original_spans()}
    root_id = _span_id(2, 0xFF, 0)
    start = T0 + 3_600_000 * MS
    total_ms = sum(t.latency_ms + 100 for t in REPLAYED_TURNS)
    spans = [
        _span(
            REPLAY_TRACE,
            root_id,
            "",
            f"otel_replay.replay {SESSION}",
            start,
            total_ms,
            {"otel_replay.run.id": RUN_ID, "session.id": REPLAY_SESSION},
            scope=REPLAY_SCAFFOLDING_SCOPE,
        )
    ]
    cursor = start
    for index, turn in enumerate(REPLAYED_TURNS):
        turn_id = _span_id(2, index, 0)
        agent_root = originals[_span_id(1, index, 1)[2:]]
        spans.append(
            _span(
                REPLAY_TRACE,
                turn_id,
                root_id,
                f"otel_replay.turn {index + 1}",
                cursor,
                turn.latency_ms + 50,
                {"otel_replay.turn.index": index},
                scope=REPLAY_SCAFFOLDING_SCOPE,
                links=_link(agent_root.trace_id, agent_root.span_id),
            )
        )
        for span in _turn_spans(2, index, turn, REPLAY_TRACE, turn_id, cursor, REPLAY_SESSION):
            original = originals.get(span.span_id[2:])
            # The refund call has no recorded counterpart: the fixed agent never makes it.
            same_tool = original is None or original.name == span.name
            spans.append(_linked(span, original if same_tool else None))
        cursor += (turn.latency_ms + 100) * MS
    return spans


def _side(turn: StoryTurn, *, replayed: bool) -> TurnSide:
    input_tokens, output_tokens = turn.tokens
    calls = []
    if turn.tool:
        input_tokens, output_tokens = input_tokens * 2 + 40, output_tokens + 12
        source = None
        if replayed:
            source = "live" if turn.service_call else "recorded"
        calls.append(
            ToolCallSummary(
                name=turn.tool, arguments=dict(ARGUMENTS), result=RESULTS[turn.tool], source=source
            )
        )
    return TurnSide(
        assistant=turn.reply,
        tool_calls=calls,
        latency_ms=float(turn.latency_ms),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        llm_calls=2 if turn.tool else 1,
    )


SCORES = (
    Score(evaluator="tool_not_called", passed=True, detail="issue_refund was never called"),
    Score(
        evaluator="reply_similarity",
        turn=3,
        passed=False,
        value=0.5,
        detail="reply similarity 0.50 < threshold 0.58",
    ),
    Score(evaluator="latency_budget", turn=3, passed=True, value=2300.0, detail="2300 ms <= 5000"),
)


def story_run(run_id: str = RUN_ID, *, delay_ms: int = 0) -> ReplayRun:
    """The replay of the incident with the fix; `delay_ms` is added to every replayed
    latency (trials differ from one another by it)."""
    turns = []
    for index, (original, replayed) in enumerate(zip(ORIGINAL_TURNS, REPLAYED_TURNS, strict=True)):
        side = _side(replayed, replayed=True)
        if delay_ms:
            side = side.model_copy(update={"latency_ms": (side.latency_ms or 0) + delay_ms})
        divergences = []
        if original.tool != replayed.tool:
            divergences.append(
                f"{replayed.tool} ran live: no recorded call matched (recorded: {original.tool})"
            )
        turns.append(
            ReplayedTurn(
                index=index,
                user=original.user,
                original=_side(original, replayed=False),
                replayed=side,
                original_trace_id=original_trace_id(index),
                original_span_id=_span_id(1, index, 1),
                trace_id=REPLAY_TRACE,
                span_id=_span_id(2, index, 0),
                divergences=divergences,
            )
        )
    run = ReplayRun(
        run_id=run_id,
        scenario=SESSION,
        agent="otel_replay.demo.support_agent:fixed_agent",
        original_session_id=SESSION,
        session_id=REPLAY_SESSION,
        status=RunStatus.OK,
        started_unix_nano=T0 + 3_600_000 * MS,
        ended_unix_nano=T0 + 3_610_000 * MS,
        trace_ids=[REPLAY_TRACE],
        turns=turns,
    )
    return run.with_scores(SCORES)
