"""The stand-in's HTTP edge: routes, bodies it cannot read, and the environment it gives."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from otel_replay.standin import PLACEHOLDER_API_KEY, StandIn
from otel_replay.standin.server import TURN_HEADER
from tests.standin.builders import llm_call, message, scenario


def _post(
    standin: StandIn, path: str, data: bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=10)
    try:
        connection.request("POST", path, body=data, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture
def standin() -> Any:
    recorded = scenario(
        [[llm_call([message("user", "Hi")], "Hello.")]], system_prompt=None, tools=()
    )
    with StandIn(recorded) as served:
        yield served


def test_an_unknown_route_is_a_404_in_the_shape_of_the_sdk_that_asked(standin: StandIn) -> None:
    status, body = _post(standin, "/v1/embeddings", b"{}")
    assert status == 404
    assert body["error"]["message"] == (
        "no route /v1/embeddings: POST /v1/chat/completions, /v1/responses or /v1/messages"
    )
    status, body = _post(standin, "/v1/complete", b"{}", {"anthropic-version": "2023-06-01"})
    assert (status, body["type"], body["error"]["type"]) == (404, "error", "not_found_error")
    assert standin.exchanges() == []


@pytest.mark.parametrize(
    ("data", "message_text"),
    [
        (b"not json", "the request body is not JSON"),
        (b"[]", "the request body is not an object"),
        (b'{"model": "m"}', "the body needs a 'messages' list"),
    ],
)
def test_a_body_that_is_not_a_request_is_a_400(
    standin: StandIn, data: bytes, message_text: str
) -> None:
    status, body = _post(standin, "/v1/chat/completions", data)
    assert (status, body["error"]["message"], body["error"]["code"]) == (
        400,
        message_text,
        "bad_request",
    )


def test_env_points_both_sdks_here_and_fills_in_only_missing_keys(standin: StandIn) -> None:
    port = standin.port
    assert standin.env({"OPENAI_API_KEY": "sk-real"}) == {
        "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ANTHROPIC_API_KEY": PLACEHOLDER_API_KEY,
    }
    assert standin.env({})["OPENAI_API_KEY"] == PLACEHOLDER_API_KEY


def test_one_connection_carries_several_requests(standin: StandIn) -> None:
    body = json.dumps(
        {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hi"}]}
    )
    connection = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=10)
    try:
        answers = []
        for _ in range(2):
            standin.set_turn(0)
            connection.request("POST", "/v1/chat/completions", body=body)
            response = connection.getresponse()
            answers.append(json.loads(response.read())["choices"][0]["message"]["content"])
            assert response.getheader("Connection") != "close"
    finally:
        connection.close()
    assert answers == ["Hello.", "Hello."]


def _two_turns() -> Any:
    return scenario(
        [
            [llm_call([message("user", "Hi")], "Hello.")],
            [llm_call([message("user", "Where is order 123?")], "On its way.")],
        ],
        system_prompt=None,
        tools=(),
    )


def _chat(text: str) -> bytes:
    request = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": text}]}
    return json.dumps(request).encode()


def test_a_turn_header_answers_from_that_turn_whatever_is_current() -> None:
    with StandIn(_two_turns()) as standin:
        status, body = _post(
            standin, "/v1/chat/completions", _chat("Where is order 123?"), {TURN_HEADER: "1"}
        )
        assert (status, body["choices"][0]["message"]["content"]) == (200, "On its way.")
        assert standin.turn == 0
        status, body = _post(standin, "/v1/chat/completions", _chat("Hi"), {TURN_HEADER: "x"})
        assert status == 400
        assert body["error"]["message"] == "x-otel-replay-turn: 'x' is not a turn index (0, 1, ...)"


def test_following_turns_moves_on_to_the_turn_a_request_matches() -> None:
    with StandIn(_two_turns(), follow_turns=True) as standin:
        status, _ = _post(standin, "/v1/chat/completions", _chat("Where is order 123?"))
        assert (status, standin.turn) == (200, 1)
        status, _ = _post(standin, "/v1/chat/completions", _chat("Hi"))
        assert status == 400  # turns only move forward: turn 0 is behind


def test_without_following_a_later_turns_request_misses() -> None:
    with StandIn(_two_turns()) as standin:
        status, _ = _post(standin, "/v1/chat/completions", _chat("Where is order 123?"))
        assert (status, standin.turn) == (400, 0)
