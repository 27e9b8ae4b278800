"""Test doubles shipped as product: a scripted OpenAI-compatible chat completions server.

`FakeOpenAIServer` answers `POST /v1/chat/completions` on 127.0.0.1 from a deterministic
script, as one JSON completion or, with `"stream": true`, as server-sent events. It records
every exchange (request headers and body, the completion sent back) so tests can check what
the client sent (`traceparent`, `baggage`) and what the telemetry should say (usage, ids).
Given to an OpenAI client as `base_url` it stands in for the model; made with
`FakeOpenAIServer.agent(...)` and given to `--agent-url` it stands in for a whole agent.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from otel_replay.standin.loopback import LoopbackServer, server_owner

ChatMessage = dict[str, Any]
ToolSpec = dict[str, Any]

_CREATED_BASE = 1_700_000_000  # a fixed epoch, so completions are the same on every run
_MAX_BODY_BYTES = 16 * 1024 * 1024
# Roughly the tokens a model emits JSON in: `{"`, `order_id`, `": "`, `123`, `"}`.
_ARGUMENT_PIECE = re.compile(r"\w+|\W+")


@dataclass(frozen=True)
class ScriptedToolCall:
    """A tool call the scripted model asks for."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScriptedReply:
    """One model answer: text, tool calls or both. Token counts left as None are derived
    from the sizes of the request and the answer (four characters a token)."""

    text: str | None = None
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of text parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


@dataclass(frozen=True)
class Rule:
    """Answer with `reply` when the last message has `role` and its text contains `contains`
    (each only when given). The first matching rule of a script wins."""

    reply: ScriptedReply | str
    role: str | None = None
    contains: str | None = None

    def matches(self, messages: Sequence[ChatMessage]) -> bool:
        if not messages:
            return self.role is None and self.contains is None
        last = messages[-1]
        if self.role is not None and last.get("role") != self.role:
            return False
        return self.contains is None or self.contains.lower() in message_text(last).lower()


Script = Sequence[Rule] | Callable[[list[ChatMessage], list[ToolSpec]], ScriptedReply | str]


class ScriptError(Exception):
    """The script has no answer for a request; the server answers HTTP 400 with this text."""


@dataclass(frozen=True)
class Exchange:
    """One request the server handled and the completion it answered with (for a stream, the
    completion the chunks add up to; None when the request was refused)."""

    path: str
    headers: Mapping[str, str]  # lower-case names
    body: Any
    status: int
    completion: dict[str, Any] | None


def _answer(script: Script, messages: list[ChatMessage], tools: list[ToolSpec]) -> ScriptedReply:
    if callable(script):
        reply = script(messages, tools)
    else:
        rule = next((r for r in script if r.matches(messages)), None)
        if rule is None:
            last = messages[-1] if messages else {}
            raise ScriptError(
                f"no rule matches the last message (role {last.get('role')!r}, "
                f"text {message_text(last)[:80]!r})"
            )
        reply = rule.reply
    return ScriptedReply(text=reply) if isinstance(reply, str) else reply


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def build_completion(
    reply: ScriptedReply, messages: list[ChatMessage], model: str, number: int
) -> dict[str, Any]:
    """The chat.completion object for `reply`; ids and times follow from `number`."""
    tool_calls = [
        {
            "id": f"call_fake{number}_{index}",
            "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(dict(call.arguments))},
        }
        for index, call in enumerate(reply.tool_calls)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if tool_calls:
        message["tool_calls"] = tool_calls
    prompt = (
        reply.prompt_tokens
        if reply.prompt_tokens is not None
        else _tokens(json.dumps(messages, sort_keys=True))
    )
    completion = (
        reply.completion_tokens
        if reply.completion_tokens is not None
        else _tokens((reply.text or "") + json.dumps(tool_calls))
    )
    return {
        "id": f"chatcmpl-fake{number:06d}",
        "object": "chat.completion",
        "created": _CREATED_BASE + number,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def stream_chunks(completion: Mapping[str, Any], include_usage: bool) -> Iterator[dict[str, Any]]:
    """The chat.completion.chunk objects a streaming server sends for `completion`: the role,
    the text a word at a time, each tool call in turn (as OpenAI streams parallel calls: a
    delta keyed by the call's `index` with its id, name and empty arguments, then deltas of
    that index carrying the arguments a token-sized piece at a time), the finish reason, and
    with `include_usage` a last chunk with no choices and the usage."""
    choice = completion["choices"][0]
    message = choice["message"]
    head = {k: completion[k] for k in ("id", "created", "model")}
    extra: dict[str, Any] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **head,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }

    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\s*\S+", message.get("content") or ""):
        yield chunk({"content": piece})
    for index, call in enumerate(message.get("tool_calls", [])):
        arguments: str = call["function"]["arguments"]
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["function"]["name"], "arguments": ""},
                    }
                ]
            }
        )
        for piece in _ARGUMENT_PIECE.findall(arguments):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, choice["finish_reason"])
    if include_usage:
        yield {
            **head,
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": completion["usage"],
        }


def _fake_of(handler: BaseHTTPRequestHandler) -> FakeOpenAIServer:
    fake = server_owner(handler)
    assert isinstance(fake, FakeOpenAIServer)
    return fake


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read the exchanges, not a log

    def do_POST(self) -> None:
        fake = _fake_of(self)
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY_BYTES:
            self._error(413, "request body too large", None, headers)
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._error(400, "request body is not JSON", raw.decode(errors="replace"), headers)
            return
        if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
            self._error(404, f"no route {self.path}: POST /v1/chat/completions", body, headers)
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._error(400, "body needs a 'messages' list", body, headers)
            return
        try:
            completion = fake.complete(body)
        except ScriptError as exc:
            self._error(400, str(exc), body, headers)
            return
        fake.record(Exchange(self.path, headers, body, 200, completion))
        if body.get("stream"):
            options = body.get("stream_options") or {}
            include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for item in stream_chunks(completion, include_usage):
                self.wfile.write(f"data: {json.dumps(item)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        self._send_json(200, completion)

    def _error(self, status: int, message: str, body: Any, headers: dict[str, str]) -> None:
        _fake_of(self).record(Exchange(self.path, headers, body, status, None))
        self._send_json(
            status, {"error": {"message": message, "type": "invalid_request_error", "code": None}}
        )

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeOpenAIServer(LoopbackServer):
    """A scripted OpenAI-compatible chat completions server on 127.0.0.1, running in a
    thread from construction until `close()` (or the end of a `with` block).

    `model` is the model name every completion reports; by default the request's is echoed.
    """

    def __init__(self, script: Script, *, model: str | None = None, port: int = 0) -> None:
        self._script = script
        self._model = model
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._count = 0
        super().__init__(_Handler, port, "fake-openai")

    @classmethod
    def agent(
        cls, answer: Callable[[list[ChatMessage]], str] | None = None, **kwargs: Any
    ) -> FakeOpenAIServer:
        """A server that acts as a whole agent: every request gets a final text reply,
        `answer(messages)`, by default `You said: <the last user message>`."""

        def reply(messages: list[ChatMessage], tools: list[ToolSpec]) -> ScriptedReply:
            if answer is not None:
                return ScriptedReply(text=answer(messages))
            users = [m for m in messages if m.get("role") == "user"]
            return ScriptedReply(text=f"You said: {message_text(users[-1]) if users else ''}")

        return cls(reply, **kwargs)

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as `base_url`."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_url(self) -> str:
        """The full chat completions address (as `--agent-url` takes it)."""
        return f"{self.base_url}/chat/completions"

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange so far, in arrival order."""
        with self._lock:
            return list(self._exchanges)

    @property
    def completions(self) -> list[dict[str, Any]]:
        """The completions answered so far, in order."""
        return [e.completion for e in self.exchanges if e.completion is not None]

    def complete(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one request body from the script (raises ScriptError when it cannot)."""
        messages: list[ChatMessage] = list(body["messages"])
        tools = body.get("tools")
        reply = _answer(self._script, messages, list(tools) if isinstance(tools, list) else [])
        with self._lock:
            self._count += 1
            number = self._count
        model = self._model or str(body.get("model") or "fake-model")
        return build_completion(reply, messages, model, number)

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)


__all__ = [
    "Exchange",
    "FakeOpenAIServer",
    "Rule",
    "Script",
    "ScriptError",
    "ScriptedReply",
    "ScriptedToolCall",
    "build_completion",
    "message_text",
    "stream_chunks",
]
