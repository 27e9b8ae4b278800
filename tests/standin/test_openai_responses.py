"""The recorded session, asked through the real openai client's Responses API: the stand-in
answers each call's recorded output as Responses output items, streamed or not."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from otel_replay.standin import ExchangeSource, StandIn
from tests.standin.conftest import RecordedSession
from tests.standin.requests import responses_request


def _said(response: dict[str, Any]) -> tuple[Any, ...]:
    texts = [
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
    ]
    calls = [
        (item["call_id"], item["name"], item["arguments"])
        for item in response["output"]
        if item["type"] == "function_call"
    ]
    usage = response["usage"]
    return texts, calls, response["status"], (usage["input_tokens"], usage["output_tokens"])


def _recorded(completion: dict[str, Any]) -> tuple[Any, ...]:
    message = completion["choices"][0]["message"]
    calls = [
        (c["id"], c["function"]["name"], c["function"]["arguments"])
        for c in message.get("tool_calls") or []
    ]
    usage = completion["usage"]
    texts = [message["content"]] if message.get("content") is not None else []
    return texts, calls, "completed", (usage["prompt_tokens"], usage["completion_tokens"])


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_each_recorded_call_asked_through_the_responses_api_gets_its_recorded_output(
    openinference_session: RecordedSession, stream: bool
) -> None:
    scenario = openinference_session.scenario
    with (
        StandIn(scenario) as standin,
        openai.OpenAI(base_url=standin.openai_base_url, api_key="unused", max_retries=0) as client,
    ):
        for index, turn in enumerate(scenario.turns):
            standin.set_turn(index)
            recorded = openinference_session.turn_calls(index)
            for call, original in zip(turn.llm_calls, recorded, strict=True):
                request = responses_request(scenario, call)
                if stream:
                    with client.responses.stream(**request) as events:
                        kinds = [event.type for event in events]
                        response = events.get_final_response()
                    assert kinds[:2] == ["response.created", "response.in_progress"]
                    assert kinds[-1] == "response.completed"
                else:
                    response = client.responses.create(**request)
                assert _said(response.model_dump()) == _recorded(original.completion)
                assert response.output_text == (
                    original.completion["choices"][0]["message"].get("content") or ""
                )
            assert [e.source for e in standin.exchanges(index)] == [ExchangeSource.RECORDED] * len(
                recorded
            )


def test_a_responses_request_with_other_instructions_misses_naming_the_change(
    openinference_session: RecordedSession,
) -> None:
    scenario = openinference_session.scenario
    request = responses_request(scenario, scenario.turns[0].llm_calls[0])
    request["instructions"] = "Be brief."
    with (
        StandIn(scenario) as standin,
        openai.OpenAI(base_url=standin.openai_base_url, api_key="unused", max_retries=0) as client,
        pytest.raises(openai.BadRequestError) as raised,
    ):
        client.responses.create(**request)
    assert str(raised.value.body["message"]).startswith(
        "no recorded LLM call in turn 1 matches: closest is call 1 (gpt-4o-mini); "
        "system message differs: text at character 1: recorded 'You are the support agent"
    )
