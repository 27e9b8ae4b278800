"""A local text agent for replaying the synthetic Vapi call: it looks the order up with a
sealed tool (the recording answers; the body never runs) and answers from the result."""

from __future__ import annotations

from typing import Any

from otel_replay.replay.tools import tool

CALLS: list[str] = []  # bodies that ran for real: must stay empty


@tool
def lookup_order(order_id: str) -> dict[str, Any]:
    CALLS.append(order_id)
    return {"status": "lost"}


def answer(messages: list[dict[str, Any]]) -> str:
    said = str(messages[-1]["content"])
    if "order" in said:
        found = lookup_order(order_id="4471")
        return f"Your order {found['status']} and arrives on {found['eta']}."
    return "You're welcome, goodbye!"
