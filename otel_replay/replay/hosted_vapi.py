"""`vapi://ASSISTANT_ID`: each user turn through Vapi's chat API (`POST /chat`).

The seal: Vapi runs an assistant's `function` tools by posting a `tool-calls` webhook to the
tool's `server.url`. When the assistant has tools that would reach a server, the replay
reads its current configuration (`GET /assistant/{id}`, and `GET /tool/{id}` for each of
`model.toolIds`), points every such tool's server at a playback endpoint of its own (which
answers from the recording, `replay.remote_playback`) and sends that configuration as a
transient `assistant`. Tools named in `--live-tools` keep their servers. A tool type that
reaches the outside without a `tool-calls` webhook (apiRequest, MCP, integrations) cannot
be sealed: the turn fails rather than run it, unless it is named live.

The playback endpoint listens on 127.0.0.1 (`OTEL_REPLAY_TOOL_PLAYBACK_PORT`, default any
free port). Vapi's cloud cannot reach loopback: expose the port (a tunnel) and set
`OTEL_REPLAY_TOOL_PLAYBACK_URL` to its public address. Every webhook must carry the random
secret the replay put in the tool's `server.headers` (`X-Otel-Replay-Secret`).
"""

from __future__ import annotations

import copy
import hmac
import json
import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from otel_replay.core.errors import BadInputError
from otel_replay.replay.agents import AgentFactory, AgentSession, ChatMessage
from otel_replay.replay.hosted import (
    HostedAgentError,
    HostedClient,
    HostedPlatform,
    plain_history,
    platform_span,
    record_reply,
    turn_carrier,
)
from otel_replay.replay.remote_playback import serve_tool_call
from otel_replay.replay.remote_protocol import ToolAnswerKind, ToolCallRequest
from otel_replay.replay.sealing import current_playback
from otel_replay.standin.loopback import LoopbackServer, server_owner

PLAYBACK_URL_ENV = "OTEL_REPLAY_TOOL_PLAYBACK_URL"
PLAYBACK_PORT_ENV = "OTEL_REPLAY_TOOL_PLAYBACK_PORT"
TOOL_CALLS_PATH = "/vapi/tool-calls"
SECRET_HEADER = "X-Otel-Replay-Secret"

# Tools Vapi answers itself, without reaching any server.
_BUILT_IN = frozenset({"endCall", "dtmf", "transferCall", "voicemail", "handoff"})
# Tools Vapi runs by posting a `tool-calls` webhook to their server: these can be sealed.
_WEBHOOK = frozenset({"function"})
# Fields of a stored assistant that a transient one must not carry.
_READ_ONLY = ("id", "orgId", "createdAt", "updatedAt", "isServerUrlSecretSet")


class _ToolCallHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        owner = server_owner(self)
        assert isinstance(owner, VapiToolPlayback)
        length = self.headers.get("Content-Length") or "0"
        body = self.rfile.read(min(int(length), 8 * 1024 * 1024)) if length.isdigit() else b""
        status, answer = owner.answer(self.path, self.headers.get(SECRET_HEADER), body)
        payload = json.dumps(answer, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return  # the replay reports what matters; no per-request noise on stderr


class VapiToolPlayback(LoopbackServer):
    """Answers Vapi `tool-calls` webhooks from the turn the session is in."""

    def __init__(self, port: int = 0, public_url: str | None = None) -> None:
        self.secret = secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        self._carrier: dict[str, str] | None = None
        super().__init__(_ToolCallHandler, port, "otel-replay-vapi-tools")
        base = public_url.rstrip("/") if public_url else f"http://127.0.0.1:{self.port}"
        self.url = base + TOOL_CALLS_PATH

    def enter_turn(self, carrier: dict[str, str] | None) -> None:
        with self._lock:
            self._carrier = carrier

    def answer(self, path: str, secret: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        if path.split("?")[0] != TOOL_CALLS_PATH:
            return 404, {"error": "not found"}
        if secret is None or not hmac.compare_digest(secret, self.secret):
            return 401, {"error": f"missing or wrong {SECRET_HEADER}"}
        with self._lock:
            carrier = self._carrier
        if carrier is None:
            return 409, {"error": "no replay turn is waiting for a Vapi answer"}
        try:
            calls = _tool_call_list(json.loads(body or b"null"))
        except ValueError as exc:
            return 400, {"error": f"not a Vapi tool-calls message: {exc}"}
        return 200, {
            "results": [_result(call_id, name, args, carrier) for call_id, name, args in calls]
        }


def _tool_call_list(doc: Any) -> list[tuple[str, str, dict[str, Any]]]:
    message = doc.get("message") if isinstance(doc, dict) else None
    items = message.get("toolCallList") if isinstance(message, dict) else None
    if not isinstance(items, list):
        raise ValueError("message.toolCallList is missing")
    calls = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("a toolCallList item is not an object")
        nested = item.get("function")
        function: dict[str, Any] = nested if isinstance(nested, dict) else item
        name = function.get("name")
        arguments = function.get("arguments", {})
        if isinstance(arguments, str):
            arguments = json.loads(arguments or "{}")
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise ValueError("a tool call needs a name and object arguments")
        calls.append((str(item.get("id") or ""), name, arguments))
    return calls


def _result(
    call_id: str, name: str, arguments: dict[str, Any], carrier: dict[str, str]
) -> dict[str, Any]:
    answer = serve_tool_call(ToolCallRequest(name, arguments), carrier)
    if answer.kind is ToolAnswerKind.RESULT:
        result = answer.result
        return {
            "toolCallId": call_id,
            "result": result if isinstance(result, str) else json.dumps(result),
        }
    # Recorded failures, unmatched calls, anything else: an error the assistant sees, never a
    # live run (a live tool keeps its own server and never reaches this endpoint).
    return {"toolCallId": call_id, "error": answer.message or answer.kind.value}


def _tools_of(client: HostedClient, model: dict[str, Any]) -> list[dict[str, Any]]:
    tools = [copy.deepcopy(t) for t in model.get("tools") or [] if isinstance(t, dict)]
    for tool_id in model.get("toolIds") or []:
        stored = client.request("GET", f"/tool/{tool_id}")
        if not isinstance(stored, dict):
            raise HostedAgentError(f"vapi GET /tool/{tool_id} answered no tool object")
        tools.append({k: v for k, v in stored.items() if k not in _READ_ONLY})
    return tools


def tool_name(tool: dict[str, Any]) -> str:
    function = tool.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    return str(name or tool.get("name") or tool.get("type") or "?")


def sealed_assistant(
    client: HostedClient,
    assistant: dict[str, Any],
    playback_url: str,
    secret: str,
    live_tools: frozenset[str],
) -> dict[str, Any] | None:
    """The assistant as a transient configuration whose tools answer from the playback
    endpoint; None when no tool would reach a server (the assistant id is sent as is)."""
    transient = {k: copy.deepcopy(v) for k, v in assistant.items() if k not in _READ_ONLY}
    model = transient.get("model")
    if not isinstance(model, dict):
        return None
    tools = _tools_of(client, model)
    sealed = False
    for tool in tools:
        kind = str(tool.get("type") or "function")
        name = tool_name(tool)
        if kind in _BUILT_IN or name in live_tools:
            continue
        if kind not in _WEBHOOK:
            raise HostedAgentError(
                f"vapi tool {name} (type {kind}) reaches the outside without a tool-calls "
                "webhook, so the replay cannot answer it from the recording; name it in "
                "--live-tools to let it run for real"
            )
        tool["server"] = {"url": playback_url, "headers": {SECRET_HEADER: secret}}
        sealed = True
    if not sealed:
        return None
    model["tools"] = tools
    model.pop("toolIds", None)
    return transient


class VapiChatSession:
    """One conversation through `POST /chat`: the first turn's `input` is the user text; a
    later turn continues the previous chat (`previousChatId`) while the history the runner
    shows is the one Vapi answered, else sends that history as the `input` messages."""

    def __init__(
        self,
        client: HostedClient,
        assistant_id: str,
        playback: VapiToolPlayback,
        variable_values: dict[str, Any],
    ) -> None:
        self._client = client
        self._assistant_id = assistant_id
        self._playback = playback
        self._variables = variable_values
        self._chat_id: str | None = None
        self._history: list[tuple[str, str]] = []
        self._target: dict[str, Any] | None = None

    def _resolve_target(self) -> dict[str, Any]:
        if self._target is None:
            playback = current_playback()
            live = playback.live_tools if playback is not None else frozenset()
            stored = self._client.request("GET", f"/assistant/{self._assistant_id}")
            if not isinstance(stored, dict):
                raise HostedAgentError(f"vapi assistant {self._assistant_id} was not found")
            transient = sealed_assistant(
                self._client, stored, self._playback.url, self._playback.secret, live
            )
            self._target = (
                {"assistant": transient}
                if transient is not None
                else {"assistantId": self._assistant_id}
            )
        return self._target

    def __call__(self, messages: list[ChatMessage]) -> ChatMessage:
        body: dict[str, Any] = dict(self._resolve_target())
        if self._variables:
            body["assistantOverrides"] = {"variableValues": self._variables}
        shown = plain_history(messages)
        if self._chat_id is not None and shown[:-1] == self._history:
            body["previousChatId"] = self._chat_id
            body["input"] = shown[-1][1] if shown else ""
        elif len(shown) == 1:
            body["input"] = shown[0][1]
        else:
            body["input"] = [{"role": role, "content": text} for role, text in shown]
        self._playback.enter_turn(turn_carrier())
        try:
            with platform_span(HostedPlatform.VAPI, self._assistant_id, messages) as span:
                chat = self._client.request("POST", "/chat", body)
                text = _reply_text(chat)
                record_reply(span, text, chat.get("cost"))
        finally:
            self._playback.enter_turn(None)
        self._chat_id = str(chat.get("id")) if chat.get("id") else None
        self._history = [*shown, ("assistant", text)]
        return {"role": "assistant", "content": text}

    def close(self) -> None:
        return None


def _reply_text(chat: Any) -> str:
    output = chat.get("output") if isinstance(chat, dict) else None
    if not isinstance(output, list):
        raise HostedAgentError("vapi POST /chat answered without an output list")
    texts = [
        str(m.get("content"))
        for m in output
        if isinstance(m, dict) and m.get("role") == "assistant" and m.get("content")
    ]
    return " ".join(texts)


def vapi_agent(
    client: HostedClient, assistant_id: str, variable_values: dict[str, Any] | None = None
) -> AgentFactory:
    """Sessions of the Vapi assistant; each has its own tool-playback endpoint."""
    port_text = os.environ.get(PLAYBACK_PORT_ENV, "0").strip() or "0"
    if not port_text.isdigit():
        raise BadInputError(f"{PLAYBACK_PORT_ENV} must be a port number, not {port_text!r}")
    public_url = os.environ.get(PLAYBACK_URL_ENV) or None

    def new_session() -> AgentSession:
        playback = VapiToolPlayback(int(port_text), public_url)
        session = VapiChatSession(client, assistant_id, playback, dict(variable_values or {}))
        return _Closing(session, playback)

    return new_session


class _Closing:
    """A session that also stops its playback endpoint when it closes."""

    def __init__(self, session: VapiChatSession, playback: VapiToolPlayback) -> None:
        self._session = session
        self._playback = playback

    def __call__(self, messages: list[ChatMessage]) -> ChatMessage:
        return self._session(messages)

    def close(self) -> None:
        self._session.close()
        self._playback.close()
