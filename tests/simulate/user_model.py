"""The fake model server scripted to play every part the simulation asks a model for:
describing the user, writing variants, playing the simulated user and judging the outcome.

Deterministic: each answer follows from the request (which instructions it carries and what
the conversation holds), so a test's replay is the same every time.
"""

from __future__ import annotations

import json
import re
from typing import Any

from otel_replay.simulate.describe import DESCRIBE_INSTRUCTIONS, VARIANT_INSTRUCTIONS
from otel_replay.simulate.outcome import OUTCOME_INSTRUCTIONS
from otel_replay.simulate.user import SIMULATE_INSTRUCTIONS
from otel_replay.testing import FakeOpenAIServer, ScriptedReply, message_text

DESCRIBED = {
    "goal": "Find out where order 123 is",
    "persona": "A polite customer who writes short messages",
    "situation": "Order 123 is late",
    "expected_outcome": "The customer learns the status of order 123 and no refund is issued.",
}
PERSONAS = ["an impatient customer", "a chatty retiree", "a terse engineer"]
VARIANT_TURNS = [
    ["Hi there.", "Where on earth is order 123? It is late!", "I did not want a refund.", "Ok."],
    ["Good morning!", "My order 123 seems late, where is it?", "No refund, please!", "Lovely."],
    ["hi", "order 123 late. where?", "no refund", "thx"],
]
FOLLOW_UP = "Can you check the status of order 123 once more?"


def _simulated_user(prompt: str) -> dict[str, Any]:
    """One follow-up question, then the goal is met once the agent has said where it is."""
    conversation = prompt.split("The conversation so far:", 1)[1]
    users = len(re.findall(r"^User: ", conversation, re.MULTILINE))
    replies = re.findall(r"^Assistant: (.*)$", conversation, re.MULTILINE)
    if users < 3:
        return {"message": FOLLOW_UP, "goal_met": False}
    if replies and "arriving Friday" in replies[-1]:
        return {"message": None, "goal_met": True}
    return {"message": "Where is order 123 now?", "goal_met": False}


def _judge(prompt: str) -> dict[str, Any]:
    if "issue_refund" in prompt:
        return {"pass": False, "reason": "the agent refunded the order nobody asked to refund"}
    if "check_status" in prompt:
        return {"pass": True, "reason": "the customer was told where order 123 is"}
    return {"pass": False, "reason": "the customer never learned where the order is"}


def _variant(prompt: str) -> dict[str, Any]:
    number = int(re.search(r"Write variant (\d+)", prompt).group(1))  # type: ignore[union-attr]
    return {"persona": PERSONAS[number - 1], "turns": VARIANT_TURNS[number - 1]}


def answer(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ScriptedReply:
    system, prompt = message_text(messages[0]), message_text(messages[-1])
    if system == DESCRIBE_INSTRUCTIONS:
        data: dict[str, Any] = DESCRIBED
    elif system == VARIANT_INSTRUCTIONS:
        data = _variant(prompt)
    elif system == SIMULATE_INSTRUCTIONS:
        data = _simulated_user(prompt)
    elif system == OUTCOME_INSTRUCTIONS:
        data = _judge(prompt)
    else:
        return ScriptedReply(text="I only play the user.")
    # Fenced, as chat models often answer: the client must unwrap it.
    return ScriptedReply(text=f"```json\n{json.dumps(data)}\n```")


def user_model_server() -> FakeOpenAIServer:
    return FakeOpenAIServer(answer, model="fake-user-1")
