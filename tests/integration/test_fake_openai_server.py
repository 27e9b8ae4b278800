"""`otel_replay.testing.FakeOpenAIServer` against the real `openai` client and urllib."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from otel_replay.replay.agents import http_agent
from otel_replay.testing import FakeOpenAIServer, Rule, ScriptedReply, ScriptedToolCall

RULES = [
    Rule(
        ScriptedReply(tool_calls=(ScriptedToolCall("check_status", {"order_id": "123"}),)),
        role="user",
        contains="order",
    ),
    Rule("Order 123 is in transit.", role="tool"),
    Rule(ScriptedReply(text="Bye now.", prompt_tokens=7, completion_tokens=3), contains="bye"),
]
ASKED: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Where is my ORDER 123?"}]


def _client(server: FakeOpenAIServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)


def _post(url: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_first_matching_rule_answers_with_sequential_ids_and_the_echoed_model() -> None:
    with FakeOpenAIServer(RULES) as server, _client(server) as client:
        first = client.chat.completions.create(model="gpt-test", messages=ASKED)
        bye = client.chat.completions.create(
            model="other-model",
            messages=[{"role": "user", "content": "ok, bye"}],
        )
    (call,) = first.choices[0].message.tool_calls or []
    assert call.type == "function"
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "call_fake1_0",
        "check_status",
        {"order_id": "123"},
    )
    assert (first.id, first.model, first.choices[0].finish_reason) == (
        "chatcmpl-fake000001",
        "gpt-test",
        "tool_calls",
    )
    assert first.usage is not None and first.usage.total_tokens == (
        first.usage.prompt_tokens + first.usage.completion_tokens
    )
    assert (bye.id, bye.model, bye.choices[0].message.content) == (
        "chatcmpl-fake000002",
        "other-model",
        "Bye now.",
    )
    assert bye.usage is not None
    assert (bye.usage.prompt_tokens, bye.usage.completion_tokens) == (7, 3)


def test_stream_adds_up_to_the_recorded_completion_and_ends_with_usage_when_asked() -> None:
    with FakeOpenAIServer(RULES, model="fixed-model") as server, _client(server) as client:
        with_usage = list(
            client.chat.completions.create(
                model="gpt-test",
                messages=[*ASKED, {"role": "tool", "tool_call_id": "c", "content": "{}"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        tool_chunks = list(
            client.chat.completions.create(model="gpt-test", messages=ASKED, stream=True)
        )
        completions = server.completions
    text = "".join(c.choices[0].delta.content or "" for c in with_usage if c.choices)
    assert text == completions[0]["choices"][0]["message"]["content"] == "Order 123 is in transit."
    assert [c.choices[0].finish_reason for c in with_usage if c.choices][-1] == "stop"
    assert with_usage[-1].choices == []
    assert with_usage[-1].usage is not None
    assert with_usage[-1].usage.model_dump(exclude_none=True) == completions[0]["usage"]
    assert {c.model for c in with_usage} == {"fixed-model"}
    assert all(c.usage is None for c in tool_chunks)
    deltas = [d for c in tool_chunks for d in c.choices[0].delta.tool_calls or ()]
    arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert [d.id for d in deltas if d.id] == ["call_fake2_0"]
    assert json.loads(arguments) == {"order_id": "123"}
    assert tool_chunks[-1].choices[0].finish_reason == "tool_calls"


def test_parallel_tool_calls_stream_as_index_keyed_deltas_the_client_reassembles() -> None:
    parallel = ScriptedReply(
        tool_calls=(
            ScriptedToolCall("check_status", {"order_id": "123"}),
            ScriptedToolCall("issue_refund", {"order_id": "456", "reason": "arrived damaged"}),
        )
    )
    with FakeOpenAIServer([Rule(parallel)]) as server, _client(server) as client:
        chunks = list(client.chat.completions.create(model="m", messages=ASKED, stream=True))
        with client.chat.completions.stream(model="m", messages=ASKED) as stream:
            reassembled = stream.get_final_completion()
        sent = [c["choices"][0]["message"]["tool_calls"] for c in server.completions]
    deltas = [d for c in chunks for d in c.choices[0].delta.tool_calls or ()]
    # A call opens with its index, id and name and no arguments; its arguments follow in
    # token-sized pieces under the same index; then the next call opens.
    assert [(d.index, d.id, d.function and d.function.name) for d in deltas if d.id] == [
        (0, "call_fake1_0", "check_status"),
        (1, "call_fake1_1", "issue_refund"),
    ]
    assert [d.index for d in deltas] == sorted(d.index for d in deltas)
    pieces: dict[int, list[str]] = {0: [], 1: []}
    for delta in deltas:
        if delta.function is not None and delta.function.arguments:
            assert delta.id is None
            pieces[delta.index].append(delta.function.arguments)
    assert pieces[0] == ['{"', "order_id", '": "', "123", '"}']
    assert len(pieces[1]) == 11
    assert ["".join(p) for p in pieces.values()] == [c["function"]["arguments"] for c in sent[0]]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    # The openai client's own accumulator adds the chunks up to the completion that was sent.
    assert [
        (c.id, c.function.name, c.function.arguments)
        for c in reassembled.choices[0].message.tool_calls or ()
    ] == [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in sent[1]]


def test_request_no_rule_matches_is_refused_with_400_naming_the_last_message() -> None:
    with FakeOpenAIServer(RULES[:1]) as server, _client(server) as client:
        with pytest.raises(openai.BadRequestError, match="no rule matches"):
            client.chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": "hello there"}],
            )
        (exchange,) = server.exchanges
    assert (exchange.status, exchange.completion) == (400, None)
    assert exchange.body["messages"][-1]["content"] == "hello there"


def test_callable_script_sees_messages_and_tools_and_headers_are_recorded() -> None:
    seen: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []

    def script(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
        seen.append((messages, tools))
        return f"{len(messages)} message(s), {len(tools)} tool(s)"

    tool = {"type": "function", "function": {"name": "f", "parameters": {}}}
    body = {"model": "m", "messages": ASKED, "tools": [tool]}
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with FakeOpenAIServer(script) as server:
        status, completion = _post(
            server.chat_url,
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "traceparent": traceparent, "baggage": "a=b"},
        )
        (exchange,) = server.exchanges
    assert status == 200
    assert completion["choices"][0]["message"]["content"] == "1 message(s), 1 tool(s)"
    assert seen == [(ASKED, [tool])]
    assert exchange.body == body
    assert (exchange.headers["traceparent"], exchange.headers["baggage"]) == (traceparent, "a=b")


def test_agent_mode_answers_an_http_agent_session_with_a_final_reply() -> None:
    with FakeOpenAIServer.agent() as echo, FakeOpenAIServer.agent(lambda m: f"{len(m)}") as count:
        echoed = http_agent(echo.base_url)()([{"role": "user", "content": "hi"}])
        counted = http_agent(count.chat_url)()(
            [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
        )
    assert echoed == {"role": "assistant", "content": "You said: hi"}
    assert counted == {"role": "assistant", "content": "2"}


def test_bad_path_and_bad_body_are_refused_and_close_releases_the_port() -> None:
    with FakeOpenAIServer(RULES) as server:
        base = f"http://127.0.0.1:{server.port}"
        not_found = _post(f"{base}/v1/embeddings", b"{}")
        not_json = _post(server.chat_url, b"{nope")
        no_messages = _post(server.chat_url, b'{"model": "m"}')
        port = server.port
    assert [not_found[0], not_json[0], no_messages[0]] == [404, 400, 400]
    assert "POST /v1/chat/completions" in not_found[1]["error"]["message"]
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
