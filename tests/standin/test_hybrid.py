"""Hybrid mode: requests the recording answers never leave the stand-in; misses go to the
real provider (here a second scripted server) with the key from the environment."""

from __future__ import annotations

import copy
import socket
from typing import Any

import openai
import pytest

from examples.openai_agent.fake_model import scripted_model
from otel_replay.standin import (
    PLACEHOLDER_API_KEY,
    ExchangeSource,
    StandIn,
    StandInMode,
    Upstream,
)
from otel_replay.testing import FakeOpenAIServer
from tests.standin.conftest import RecordedSession

UPSTREAM_MODEL = "upstream-model"


def _client(standin: StandIn) -> openai.OpenAI:
    # The agent's own key is a placeholder: it must never reach the provider.
    return openai.OpenAI(
        base_url=standin.openai_base_url, api_key=PLACEHOLDER_API_KEY, max_retries=0
    )


def _changed(body: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(
        {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    )
    changed["messages"][0]["content"] = "You are a terse support agent."
    return changed


def test_only_the_misses_go_upstream_with_the_environment_key_and_are_logged_live(
    openinference_session: RecordedSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = openinference_session.turn_calls(0)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-upstream-test")
    with FakeOpenAIServer(scripted_model, model=UPSTREAM_MODEL) as provider:
        upstream = Upstream.from_env(openai_base_url=provider.base_url)
        monkeypatch.delenv("OPENAI_API_KEY")  # read when the Upstream was made, not later
        with (
            StandIn(
                openinference_session.scenario, mode=StandInMode.HYBRID, upstream=upstream
            ) as standin,
            _client(standin) as client,
        ):
            hit = client.chat.completions.create(**first.body)
            missed = client.chat.completions.create(**_changed(first.body))
            hit_again = client.chat.completions.create(**second.body)
            with client.chat.completions.stream(
                **_changed(second.body), stream_options={"include_usage": True}
            ) as chunks:
                streamed_miss = chunks.get_final_completion()
            exchanges = standin.exchanges(0)
        received = provider.exchanges

    assert [e.source for e in exchanges] == [
        ExchangeSource.RECORDED,
        ExchangeSource.LIVE,
        ExchangeSource.RECORDED,
        ExchangeSource.LIVE,
    ]
    # The provider saw the two misses only, as the agent sent them, with the upstream key.
    assert [e.body["messages"][0]["content"] for e in received] == [
        "You are a terse support agent."
    ] * 2
    assert [e.body.get("stream") for e in received] == [None, True]
    assert {e.headers["authorization"] for e in received} == {"Bearer sk-upstream-test"}
    assert (hit.model, hit_again.model) == ("gpt-4o-mini-2024-07-18",) * 2
    assert (missed.model, streamed_miss.model) == (UPSTREAM_MODEL, UPSTREAM_MODEL)
    upstream_answers = [e.completion for e in received if e.completion is not None]
    # The agent got the provider's answers as the provider sent them.
    assert [missed.id, streamed_miss.id] == [c["id"] for c in upstream_answers]
    assert [
        (c.id, c.function.name, c.function.arguments)
        for c in missed.choices[0].message.tool_calls or []
    ] == [
        (c["id"], c["function"]["name"], c["function"]["arguments"])
        for c in upstream_answers[0]["choices"][0]["message"]["tool_calls"]
    ]
    assert (
        streamed_miss.choices[0].message.content
        == (upstream_answers[1]["choices"][0]["message"]["content"])
    )
    # The log reads the live answers, streamed or not, and keeps why each was a miss.
    live = [e for e in exchanges if e.source is ExchangeSource.LIVE]
    assert [e.answer.response_id if e.answer else None for e in live] == [
        c["id"] for c in upstream_answers
    ]
    assert [e.answer.text if e.answer else None for e in live] == [
        c["choices"][0]["message"]["content"] for c in upstream_answers
    ]
    assert [
        [(t.name, t.arguments) for t in e.answer.tool_calls] if e.answer else None for e in live
    ] == [[("check_status", {"order_id": "123"}), ("check_status", {"order_id": "456"})], []]
    assert [e.answer.input_tokens if e.answer else None for e in live] == [
        c["usage"]["prompt_tokens"] for c in upstream_answers
    ]
    assert all(
        e.divergence is not None and "system message differs" in e.divergence.describe()
        for e in live
    )


def test_a_miss_with_no_provider_key_is_refused_naming_the_variable(
    openinference_session: RecordedSession,
) -> None:
    first = openinference_session.calls[0]
    with FakeOpenAIServer(scripted_model) as provider:
        upstream = Upstream(openai_base_url=provider.base_url, openai_api_key=None)
        with (
            StandIn(openinference_session.scenario, mode="hybrid", upstream=upstream) as standin,
            _client(standin) as client,
            pytest.raises(openai.AuthenticationError) as raised,
        ):
            client.chat.completions.create(**_changed(first.body))
        assert provider.exchanges == []
    assert str(raised.value.body["message"]).endswith(
        "hybrid mode would ask the provider, but OPENAI_API_KEY is not set"
    )
    assert [e.source for e in standin.exchanges()] == [ExchangeSource.UNANSWERED]


def test_an_unreachable_provider_is_a_502_the_sdk_raises(
    openinference_session: RecordedSession,
) -> None:
    first = openinference_session.calls[0]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
        upstream = Upstream(openai_base_url=url, openai_api_key="sk-test", timeout_seconds=10)
        with (
            StandIn(openinference_session.scenario, mode="hybrid", upstream=upstream) as standin,
            _client(standin) as client,
            pytest.raises(openai.InternalServerError) as raised,
        ):
            client.chat.completions.create(**_changed(first.body))
    assert raised.value.status_code == 502
    assert "hybrid mode asked the provider: " in str(raised.value.body["message"])
    assert [(e.source, e.status) for e in standin.exchanges()] == [(ExchangeSource.UNANSWERED, 502)]
