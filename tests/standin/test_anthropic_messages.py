"""The recorded session, asked through the real anthropic SDK's Messages API: the stand-in
answers each call's recorded output as content blocks, streamed or not, with Anthropic's
stop reasons and error shape."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from otel_replay.standin import ExchangeSource, StandIn
from tests.standin.conftest import RecordedSession
from tests.standin.requests import anthropic_request

STOP_REASONS = {"tool_calls": "tool_use", "stop": "end_turn"}


def _said(message: dict[str, Any]) -> tuple[Any, ...]:
    texts = [b["text"] for b in message["content"] if b["type"] == "text"]
    calls = [
        (b["id"], b["name"], b["input"]) for b in message["content"] if b["type"] == "tool_use"
    ]
    usage = message["usage"]
    return texts, calls, message["stop_reason"], (usage["input_tokens"], usage["output_tokens"])


def _recorded(completion: dict[str, Any]) -> tuple[Any, ...]:
    choice = completion["choices"][0]
    message = choice["message"]
    calls = [
        (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
        for c in message.get("tool_calls") or []
    ]
    usage = completion["usage"]
    texts = [message["content"]] if message.get("content") is not None else []
    return (
        texts,
        calls,
        STOP_REASONS[choice["finish_reason"]],
        (usage["prompt_tokens"], usage["completion_tokens"]),
    )


def _client(standin: StandIn) -> anthropic.Anthropic:
    # ANTHROPIC_BASE_URL is the stand-in's bare base URL (the SDK adds /v1/messages).
    return anthropic.Anthropic(
        base_url=standin.env()["ANTHROPIC_BASE_URL"], api_key="unused", max_retries=0
    )


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_each_recorded_call_asked_through_the_anthropic_sdk_gets_its_recorded_output(
    openinference_session: RecordedSession, stream: bool
) -> None:
    scenario = openinference_session.scenario
    with StandIn(scenario) as standin, _client(standin) as client:
        for index, turn in enumerate(scenario.turns):
            standin.set_turn(index)
            recorded = openinference_session.turn_calls(index)
            for call, original in zip(turn.llm_calls, recorded, strict=True):
                request = anthropic_request(scenario, call)
                if stream:
                    with client.messages.stream(**request) as events:
                        kinds = [event.type for event in events]
                        message = events.get_final_message()
                    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
                else:
                    message = client.messages.create(**request)
                assert _said(message.model_dump()) == _recorded(original.completion)
            exchanges = standin.exchanges(index)
            assert [(e.source, e.stream) for e in exchanges] == [
                (ExchangeSource.RECORDED, stream)
            ] * len(recorded)


def test_an_anthropic_miss_is_an_anthropic_error_naming_the_change(
    openinference_session: RecordedSession,
) -> None:
    scenario = openinference_session.scenario
    request = anthropic_request(scenario, scenario.turns[2].llm_calls[0])
    request["messages"][-1]["content"][0]["text"] = "Thanks a lot!"
    with (
        StandIn(scenario) as standin,
        _client(standin) as client,
        pytest.raises(anthropic.BadRequestError) as raised,
    ):
        standin.set_turn(2)
        client.messages.create(**request)
    body = raised.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"] == (
        "no recorded LLM call in turn 3 matches: closest is call 1 (gpt-4o-mini); "
        "message 6 (user) differs: text at character 7: recorded 'Thanks!', now 'Thanks a lot!'"
    )
