"""Builders of replay runs for evaluator tests."""

from __future__ import annotations

from pydantic import JsonValue

from otel_replay.core.runs import (
    ReplayedTurn,
    ReplayRun,
    RunStatus,
    ToolCallSummary,
    TurnSide,
)

GREETING = "Happy to help. What is your order number?"
IN_TRANSIT = "Order 123 is in transit, arriving Friday."
REFUNDED = "I have refunded order 123."


def side(
    assistant: str | None,
    *tools: str,
    arguments: JsonValue = None,
    latency_ms: float | None = 800.0,
    input_tokens: int | None = 300,
    output_tokens: int | None = 40,
) -> TurnSide:
    return TurnSide(
        assistant=assistant,
        tool_calls=[
            ToolCallSummary(
                name=t, arguments={"order_id": "123"} if arguments is None else arguments
            )
            for t in tools
        ],
        latency_ms=latency_ms,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        llm_calls=1 + bool(tools),
    )


def make_run(turns: list[tuple[str | None, TurnSide, TurnSide | None]]) -> ReplayRun:
    return ReplayRun(
        run_id="run-1",
        scenario="support-session-003",
        agent="fixed",
        original_session_id="support-session-003",
        session_id="replay-1",
        status=RunStatus.OK,
        started_unix_nano=0,
        ended_unix_nano=1,
        trace_ids=["b" * 32],
        turns=[
            ReplayedTurn(
                index=index,
                user=user,
                original=original,
                replayed=replayed,
                original_trace_id=f"{index + 1:032x}",
                original_span_id=f"{index + 1:016x}",
                trace_id="b" * 32 if replayed else None,
                note=None if replayed else "no user message recorded: turn not replayed",
            )
            for index, (user, original, replayed) in enumerate(turns)
        ],
    )


def incident_run() -> ReplayRun:
    """The support incident replayed with the fix: turn 4 checks the status instead of
    refunding (turn indexes 0-4)."""
    return make_run(
        [
            ("Hello!", side(GREETING), side(GREETING)),
            ("I ordered a lamp, order 123.", side(GREETING), side(GREETING)),
            (
                "Can you tell me the status of order 123?",
                side(IN_TRANSIT, "check_status"),
                side(IN_TRANSIT, "check_status"),
            ),
            (
                "It's late, where is order 123?",
                side(REFUNDED, "issue_refund"),
                side(IN_TRANSIT, "check_status", latency_ms=1200.0),
            ),
            ("Thanks.", side("You're welcome! Anything else?"), side("You're welcome!")),
        ]
    )


def one_turn_run(original: TurnSide, replayed: TurnSide | None) -> ReplayRun:
    return make_run([("question", original, replayed)])
