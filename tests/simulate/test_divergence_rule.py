"""The replay's divergence rule is the transcript diff's: a turn diverges exactly when the
diff marks it changed (tool calls by name, order and arguments, or the reply word for word)."""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from otel_replay.core.runs import ToolCallSummary, TurnSide
from otel_replay.diff.transcript import (
    TranscriptToolCall,
    TranscriptTurn,
    TurnStatus,
    describe_divergence,
    diff_transcripts,
)


def _side(reply: str | None, *calls: tuple[str, JsonValue]) -> TurnSide:
    return TurnSide(
        assistant=reply, tool_calls=[ToolCallSummary(name=n, arguments=a) for n, a in calls]
    )


def _turn(side: TurnSide) -> TranscriptTurn:
    calls = tuple(TranscriptToolCall(c.name, c.arguments) for c in side.tool_calls)
    return TranscriptTurn(index=0, user="u", assistant=side.assistant, tool_calls=calls)


REFUND = ("issue_refund", {"order_id": "123"})
STATUS = ("check_status", {"order_id": "123"})

CASES = [
    ("same reply and tools", _side("Done.", REFUND), _side("Done.", REFUND), None),
    ("whitespace only", _side("Order  123\nis late."), _side("Order 123 is late."), None),
    ("other tool", _side("x", REFUND), _side("x", STATUS), "tool calls"),
    (
        "other arguments",
        _side("x", REFUND),
        _side("x", ("issue_refund", {"order_id": "9"})),
        "tool calls",
    ),
    ("extra call", _side("x", STATUS), _side("x", STATUS, STATUS), "tool calls"),
    (
        "other reply",
        _side("I have refunded order 123."),
        _side("Order 123 is late."),
        "the reply differs",
    ),
]


@pytest.mark.parametrize(
    ("original", "replayed", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_turn_diverges_exactly_when_the_transcript_diff_marks_it_changed(
    original: TurnSide, replayed: TurnSide, expected: str | None
) -> None:
    reason = describe_divergence(original, replayed)
    (turn,) = diff_transcripts([_turn(original)], [_turn(replayed)]).turns
    assert (reason is not None) == (turn.status is TurnStatus.CHANGED)
    assert (reason or "").startswith(expected or "")


def test_the_reason_names_both_tool_sequences() -> None:
    reason = describe_divergence(_side("x", REFUND), _side("x", STATUS))
    assert reason == "tool calls issue_refund(order_id=123) -> check_status(order_id=123)"
