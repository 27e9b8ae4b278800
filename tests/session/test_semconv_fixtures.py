"""Every convention fixture reconstructs to exactly the conversation in expected.json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from otel_replay.semconv.identity import resolve_session_id
from otel_replay.semconv.model import Conversation
from otel_replay.session.turns import build_conversation
from tests.conftest import SEMCONV_FIXTURES
from tests.semconv.otlp_files import load_logs, load_spans

EXPECTED: dict[str, Any] = json.loads((SEMCONV_FIXTURES / "expected.json").read_text())


def _fixture_conversation(name: str) -> Conversation:
    spans = load_spans(SEMCONV_FIXTURES / name)
    logs_path = SEMCONV_FIXTURES / name.replace(".traces.json", ".logs.json")
    logs = load_logs(logs_path) if logs_path != SEMCONV_FIXTURES / name else []
    session_ids = {
        resolve_session_id([s for s in spans if s.trace_id == t])
        for t in {s.trace_id for s in spans}
    }
    assert len(session_ids) == 1, session_ids
    (session_id,) = session_ids
    assert session_id is not None
    return build_conversation(session_id, spans, logs)


def _reconstruction(conversation: Conversation) -> dict[str, Any]:
    return {
        "session_id": conversation.session_id,
        "user_id": conversation.user_id,
        "traces": len(conversation.trace_ids),
        "turns": [
            {
                "user": turn.user_text,
                "assistant": turn.assistant_text,
                "llm_calls": [
                    {
                        "request_model": call.request_model,
                        "response_model": call.response_model,
                        "input_tokens": call.usage.input_tokens,
                        "output_tokens": call.usage.output_tokens,
                        "finish": call.finish.value if call.finish else None,
                        "response_id": call.response_id,
                    }
                    for call in turn.llm_calls
                ],
                "tool_calls": [
                    {
                        "name": tool.name,
                        "call_id": tool.call_id,
                        "arguments": tool.arguments,
                        "result": tool.result,
                        "linked_by": tool.linked_by.value,
                    }
                    for tool in turn.tool_calls
                ],
            }
            for turn in conversation.turns
        ],
    }


def test_every_fixture_file_is_covered_by_expected_json() -> None:
    files = {p.name for p in SEMCONV_FIXTURES.glob("*.json")} - {"expected.json"}
    paired = {n.replace(".traces.json", ".logs.json") for n in EXPECTED}
    assert files == set(EXPECTED) | (paired & files)
    assert len(EXPECTED) == 14


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_reconstructs_to_expected_conversation(name: str) -> None:
    expected = {k: v for k, v in EXPECTED[name].items() if k != "notes"}
    assert _reconstruction(_fixture_conversation(name)) == expected
