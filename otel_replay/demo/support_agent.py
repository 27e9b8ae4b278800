"""A small customer-support agent with a deterministic scripted model, for demos and tests.

It is instrumented the way a real agent is: an `invoke_agent` span per user turn, a `chat`
span per model call with OTel GenAI (>= 1.37) message attributes, and `execute_tool` spans from
`otel_replay.tool`. The buggy version refunds late orders instead of checking their status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from opentelemetry import baggage, trace
from opentelemetry.trace import SpanKind

from otel_replay.replay.tools import tool
from otel_replay.semconv.attributes import GenAI, General

Message = dict[str, Any]
MODEL = "scripted-support-1"
SYSTEM_PROMPT = (
    "You are the support agent of an online shop. Use check_status to look up an order and "
    "issue_refund only when the customer asks for a refund."
)
TOOL_DEFINITIONS = [
    {
        "type": "function",
        "name": "check_status",
        "description": "Look up the shipping status of an order.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
    },
    {
        "type": "function",
        "name": "issue_refund",
        "description": "Refund an order in full. Side effect: money leaves the shop.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
    },
]

# What the "warehouse" knows; the real tools read it, replays never do.
ORDERS = {"123": "in transit, arriving Friday", "456": "delivered", "789": "processing"}
REFUNDS: list[str] = []


@tool
def check_status(order_id: str) -> dict[str, str]:
    """Look up an order's shipping status."""
    return {"order_id": order_id, "status": ORDERS.get(order_id, "unknown order")}


@tool
def issue_refund(order_id: str) -> dict[str, str]:
    """Refund an order (a side effect a replay must never repeat)."""
    REFUNDS.append(order_id)
    return {"order_id": order_id, "refund": "issued"}


TOOLS: dict[str, Callable[..., dict[str, str]]] = {
    "check_status": check_status,
    "issue_refund": issue_refund,
}


def _order_id(text: str) -> str | None:
    found = re.search(r"\b(\d{3,})\b", text)
    return found.group(1) if found else None


def scripted_model(messages: list[Message], buggy: bool) -> Message:
    """The 'LLM': a rule per situation, deterministic, so replays are comparable."""
    last = messages[-1]
    if last["role"] == "tool":
        result = json.loads(last["content"])
        if "error" in result:
            return {
                "role": "assistant",
                "content": f"Sorry, I could not do that: {result['error']}",
            }
        if "refund" in result:
            return {"role": "assistant", "content": f"I have refunded order {result['order_id']}."}
        return {
            "role": "assistant",
            "content": f"Order {result['order_id']} is {result['status']}.",
        }
    text = str(last.get("content", "")).lower()
    order_id = _order_id(text)
    wants_refund = "refund" in text
    # The bug: "late" was added to the refund keywords.
    if buggy and "late" in text:
        wants_refund = True
    if order_id and (wants_refund or any(w in text for w in ("where", "status", "late"))):
        name = "issue_refund" if wants_refund else "check_status"
        call_id = f"call_{len(messages)}_{name}"
        return {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps({"order_id": order_id})},
                }
            ],
        }
    if "thank" in text:
        return {"role": "assistant", "content": "You're welcome! Anything else?"}
    if order_id:
        return {
            "role": "assistant",
            "content": f"Got it, order {order_id}. How can I help with it?",
        }
    return {"role": "assistant", "content": "Happy to help. What is your order number?"}


def _parts(message: Message) -> dict[str, Any]:
    """An OpenAI-style message in the OTel GenAI parts format."""
    parts: list[dict[str, Any]] = []
    if message.get("content"):
        if message["role"] == "tool":
            parts.append(
                {
                    "type": "tool_call_response",
                    "id": message["tool_call_id"],
                    "response": message["content"],
                }
            )
        else:
            parts.append({"type": "text", "content": message["content"]})
    for call in message.get("tool_calls", []):
        parts.append(
            {
                "type": "tool_call",
                "id": call["id"],
                "name": call["function"]["name"],
                "arguments": json.loads(call["function"]["arguments"]),
            }
        )
    return {"role": message["role"], "parts": parts}


_USAGE_DIVISOR = 4  # a fake tokenizer: four characters a token


def _chat(tracer: trace.Tracer, messages: list[Message], buggy: bool) -> Message:
    with tracer.start_as_current_span(f"chat {MODEL}", kind=SpanKind.CLIENT) as span:
        reply = scripted_model(messages, buggy)
        input_chars = sum(len(json.dumps(m)) for m in messages)
        finish = "tool_call" if reply.get("tool_calls") else "stop"
        span.set_attributes(
            {
                GenAI.OPERATION_NAME: "chat",
                GenAI.PROVIDER_NAME: "scripted",
                GenAI.REQUEST_MODEL: MODEL,
                GenAI.RESPONSE_MODEL: MODEL,
                GenAI.REQUEST_TEMPERATURE: 0.0,
                GenAI.USAGE_INPUT_TOKENS: input_chars // _USAGE_DIVISOR,
                GenAI.USAGE_OUTPUT_TOKENS: max(1, len(json.dumps(reply)) // _USAGE_DIVISOR),
                GenAI.RESPONSE_FINISH_REASONS: [finish],
                GenAI.SYSTEM_INSTRUCTIONS: json.dumps([{"type": "text", "content": SYSTEM_PROMPT}]),
                GenAI.INPUT_MESSAGES: json.dumps(
                    [_parts(m) for m in messages if m["role"] != "system"]
                ),
                GenAI.OUTPUT_MESSAGES: json.dumps([{**_parts(reply), "finish_reason": finish}]),
                GenAI.TOOL_DEFINITIONS: json.dumps(TOOL_DEFINITIONS),
            }
        )
        return reply


def run_turn(messages: list[Message], buggy: bool) -> str:
    """Answer the last user message: model, tools, model ... until a text reply."""
    tracer = trace.get_tracer("otel_replay.demo.support_agent")
    session_id = baggage.get_baggage(General.SESSION_ID)
    attributes: dict[str, Any] = {
        GenAI.OPERATION_NAME: "invoke_agent",
        GenAI.AGENT_NAME: "support",
        GenAI.REQUEST_MODEL: MODEL,
    }
    if session_id:
        attributes[GenAI.CONVERSATION_ID] = str(session_id)
    with tracer.start_as_current_span("invoke_agent support", attributes=attributes):
        history: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT}, *messages]
        for _ in range(5):
            reply = _chat(tracer, history, buggy)
            history.append(reply)
            if not reply.get("tool_calls"):
                return str(reply["content"])
            for call in reply["tool_calls"]:
                arguments = json.loads(call["function"]["arguments"])
                try:
                    result: Any = TOOLS[call["function"]["name"]](**arguments)
                except Exception as exc:  # the model sees tool errors, as with a real LLM
                    result = {"error": str(exc)}
                history.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result)}
                )
        return "Sorry, I could not finish that."


def buggy_agent(messages: list[Message]) -> str:
    """The version that misbehaved in production."""
    return run_turn(messages, buggy=True)


def fixed_agent(messages: list[Message]) -> str:
    """The version with the fix."""
    return run_turn(messages, buggy=False)


# Scripted customer sessions for the demo; the third is Tuesday's incident.
CUSTOMER_SESSIONS: dict[str, list[str]] = {
    "support-session-001": ["Hi, where is my order 456?", "Thanks!"],
    "support-session-002": ["I want a refund for order 789 please.", "Thank you."],
    "support-session-003": [
        "Hello!",
        "I ordered a lamp, order 123.",
        "Can you tell me the status of order 123?",
        "It's late, where is order 123?",
        "Thanks.",
    ],
}
