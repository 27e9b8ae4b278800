"""The stand-in answers the real openai client's Chat Completions requests from a recorded
session, with no model server running: exactly the recorded completions, streamed or not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from examples.openai_agent.agent import SYSTEM_PROMPT, answer
from examples.openai_agent.record import SESSIONS
from otel_replay.standin import ExchangeSource, StandIn, StandInMode
from tests.standin.conftest import RecordedSession

USER_TEXTS = next(iter(SESSIONS.values()))


def _client(standin: StandIn) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.openai_base_url, api_key="unused", max_retries=0)


def _request(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("stream", "stream_options")}


def _said(completion: dict[str, Any]) -> tuple[Any, ...]:
    """What a completion says: text, tool calls (id, name, argument text), finish, usage."""
    choice = completion["choices"][0]
    calls = [
        (c["id"], c["function"]["name"], c["function"]["arguments"])
        for c in choice["message"].get("tool_calls") or []
    ]
    usage = completion["usage"]
    return (
        choice["message"].get("content"),
        calls,
        choice["finish_reason"],
        (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]),
    )


def _ask(client: openai.OpenAI, body: dict[str, Any], stream: bool) -> dict[str, Any]:
    if not stream:
        return client.chat.completions.create(**_request(body)).model_dump()
    # The SDK's own stream helper adds the chunks up, usage chunk included.
    with client.chat.completions.stream(
        **_request(body), stream_options={"include_usage": True}
    ) as chunks:
        return chunks.get_final_completion().model_dump()


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_every_recorded_request_gets_its_recorded_completion_exactly(
    recorded_session: RecordedSession, stream: bool
) -> None:
    scenario = recorded_session.scenario
    with StandIn(scenario) as standin, _client(standin) as client:
        for turn in range(len(scenario.turns)):
            standin.set_turn(turn)
            calls = recorded_session.turn_calls(turn)
            for call in calls:
                assert _said(_ask(client, call.body, stream)) == _said(call.completion)
            exchanges = standin.exchanges(turn)
            assert [(e.source, e.status, e.stream) for e in exchanges] == [
                (ExchangeSource.RECORDED, 200, stream)
            ] * len(calls)
            assert [e.recorded.index if e.recorded else None for e in exchanges] == list(
                range(len(calls))
            )
            assert [e.recorded.span_id if e.recorded else None for e in exchanges] == [
                c.span_id for c in scenario.turns[turn].llm_calls
            ]


def _chunks(standin: StandIn, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    with _client(standin) as client:
        stream = client.chat.completions.create(
            **_request(body), stream=True, stream_options={"include_usage": True}
        )
        with stream:
            for chunk in stream:
                yield chunk.model_dump(exclude_none=True)


def test_streamed_tool_calls_arrive_as_index_keyed_argument_deltas_then_a_usage_chunk(
    openinference_session: RecordedSession,
) -> None:
    first = openinference_session.calls[0]  # two parallel check_status calls
    with StandIn(openinference_session.scenario) as standin:
        chunks = list(_chunks(standin, first.body))
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    openings = [part for d in deltas for part in d.get("tool_calls", []) if "id" in part]
    assert [(p["index"], p["id"], p["function"]["name"]) for p in openings] == [
        (0, "call_fake1_0", "check_status"),
        (1, "call_fake1_1", "check_status"),
    ]
    arguments: dict[int, str] = {}
    pieces = 0
    for delta in deltas:
        for part in delta.get("tool_calls", []):
            if "id" not in part:
                pieces += 1
                arguments[part["index"]] = (
                    arguments.get(part["index"], "") + part["function"]["arguments"]
                )
    assert pieces > 2  # arguments come a piece at a time
    assert [json.loads(arguments[i]) for i in (0, 1)] == [{"order_id": "123"}, {"order_id": "456"}]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == first.completion["usage"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_the_example_agent_replays_three_turns_against_the_stand_in_alone(
    recorded_session: RecordedSession, stream: bool
) -> None:
    scenario = recorded_session.scenario
    replies = []
    with StandIn(scenario) as standin:
        messages: list[dict[str, Any]] = []
        for turn, text in enumerate(USER_TEXTS):
            standin.set_turn(turn)
            messages.append({"role": "user", "content": text})
            reply = answer(messages, stream=stream, base_url=standin.openai_base_url)
            messages.append({"role": "assistant", "content": reply})
            replies.append(reply)
        assert standin.divergences() == []
        assert len(standin.exchanges()) == len(recorded_session.calls)
    assert replies == [t.assistant for t in scenario.turns]


def test_a_changed_system_prompt_misses_with_an_error_naming_the_closest_call_and_the_change(
    openinference_session: RecordedSession,
) -> None:
    call = openinference_session.turn_calls(1)[1]  # turn 2's second call: after check_status
    body = json.loads(json.dumps(call.body))
    body["messages"][0]["content"] = SYSTEM_PROMPT.replace("Look orders up", "Always look up")
    with StandIn(openinference_session.scenario) as standin, _client(standin) as client:
        standin.set_turn(1)
        with pytest.raises(openai.BadRequestError) as raised:
            client.chat.completions.create(**_request(body))
        # The unchanged request is still answered: a miss serves nothing.
        assert _said(client.chat.completions.create(**_request(call.body)).model_dump()) == _said(
            call.completion
        )
        exchanges = standin.exchanges(1)
    message = raised.value.body["message"]
    assert message == (
        "no recorded LLM call in turn 2 matches: closest is call 2 (gpt-4o-mini); "
        "system message differs: text at character 46: "
        "recorded '…re the support agent of an online shop. Look orders up with check_status; "
        "call i…', "
        "now '…re the support agent of an online shop. Always look up with check_status; "
        "call i…'"
    )
    assert raised.value.status_code == 400
    assert raised.value.code == "no_recorded_match"
    assert [e.source for e in exchanges] == [ExchangeSource.UNANSWERED, ExchangeSource.RECORDED]
    divergence = exchanges[0].divergence
    assert divergence is not None and divergence.describe() == message
    # Then by messages in common: call 3 shares five of its eight, call 1 three of four.
    assert [n.recorded.index for n in divergence.closest] == [1, 2, 0]


def test_a_request_of_another_turn_misses_in_the_current_one(
    openinference_session: RecordedSession,
) -> None:
    later = openinference_session.turn_calls(2)[0]
    with (
        StandIn(openinference_session.scenario, mode=StandInMode.RECORDED) as standin,
        _client(standin) as client,
        pytest.raises(openai.BadRequestError) as raised,
    ):
        client.chat.completions.create(**_request(later.body))
    assert "no recorded LLM call in turn 1 matches: closest is call 1" in str(raised.value)
    assert "6 messages, recorded 2: message 3 (assistant) is new" in str(raised.value)
