from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_replay.testing import (
    ChatMessage,
    FakeOpenAIServer,
    ScriptedReply,
    ScriptedToolCall,
    ToolSpec,
    message_text,
)
from tests.replay.adapters import framework_agents, refunds
from tests.replay.conftest import redirect_side_effects


@pytest.fixture
def side_effects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return redirect_side_effects(refunds, tmp_path, monkeypatch)


def _refund_model(messages: list[ChatMessage], tools: list[ToolSpec]) -> ScriptedReply:
    """Asks for a refund of each order the user names (at once), then says what the tools
    answered."""
    answers = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        answers.insert(0, message_text(message))
    if answers:
        return ScriptedReply(text=f"Refund result: {' | '.join(answers)}")
    orders = re.findall(r"\d+", message_text(messages[-1]))
    calls = tuple(ScriptedToolCall("issue_refund", {"order_id": order}) for order in orders)
    return ScriptedReply(tool_calls=calls)


@pytest.fixture
def refund_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """A scripted model on loopback that the framework agents talk to."""
    with FakeOpenAIServer(_refund_model) as server:
        monkeypatch.setattr(framework_agents, "MODEL_URL", server.base_url)
        yield server
