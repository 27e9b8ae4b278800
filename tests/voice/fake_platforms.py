"""Fake Vapi and Retell APIs on 127.0.0.1, built from the documented shapes: Vapi's
`GET /assistant/{id}`, `GET /tool/{id}`, `POST /chat` (server SDK `chats.create`; a
function tool's `tool-calls` webhook to its `server.url`, answered with `{"results":
[{"toolCallId", "result"|"error"}]}`), and Retell's `GET /get-agent/{id}`,
`GET /get-retell-llm/{id}` and `POST /agent-playground-completion/{agent_id}` (python SDK
`playground_completion_params.py`: `messages`, `version`, `tool_mocks` with `partial_match`
/ `any` rules; the answer holds only the new messages).

The scripted agent calls its one lookup tool when the user's text matches the script's
pattern (by default "weather in Paris" asks get_weather for Paris), and answers with what the
tool said; otherwise it says a short fixed line. A tool call that
would go to a live server is never made: the fake records it in `live_calls` instead.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

KEY = "test-key-not-secret"
LIVE_TOOL_URL = "https://tools.example.invalid/live"


@dataclass(frozen=True)
class Script:
    """When the agent calls its lookup tool, which one, and with what argument."""

    pattern: str = r"weather in (\w+)"
    tool: str = "get_weather"
    argument: str = "location"

    def lookup(self, text: str) -> dict[str, str] | None:
        found = re.search(self.pattern, text)
        return {self.argument: found.group(1)} if found else None


WEATHER = Script()
ORDERS = Script(r"order (\d+)", "lookup_order", "order_id")


@dataclass
class FakePlatform:
    """What the fake received, and the scripted agent's state."""

    script: Script = WEATHER
    url: str = ""
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    live_calls: list[dict[str, Any]] = field(default_factory=list)
    webhook_answers: list[Any] = field(default_factory=list)
    chats: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def posted(self, path_prefix: str) -> list[Any]:
        return [
            body
            for method, path, body in self.requests
            if method == "POST" and path.startswith(path_prefix)
        ]


def _reply_for(user_text: str, tool_output: str | None) -> str:
    if tool_output is not None:
        return f"Here is what I found: {tool_output}"
    return "Yes, take an umbrella with you today."


# -- Vapi ---------------------------------------------------------------------------------


def vapi_assistant(script: Script) -> dict[str, Any]:
    return _VAPI_ASSISTANT | {
        "model": _VAPI_ASSISTANT["model"]
        | {"tools": [_VAPI_ASSISTANT["model"]["tools"][0], _lookup_tool(script)]}
    }


def _lookup_tool(script: Script) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": script.tool, "parameters": {"type": "object"}},
        "server": {"url": LIVE_TOOL_URL},
    }


_VAPI_ASSISTANT: dict[str, Any] = {
    "id": "asst_1",
    "orgId": "org_1",
    "createdAt": "2026-11-01T00:00:00Z",
    "name": "Support",
    "model": {
        "provider": "openai",
        "model": "gpt-4o",
        "messages": [{"role": "system", "content": "You help with the weather."}],
        "tools": [
            {"type": "endCall"},
        ],
        "toolIds": ["tool_taxi"],
    },
    "voice": {"provider": "11labs", "voiceId": "rachel"},
}
VAPI_STORED_TOOL = {
    "id": "tool_taxi",
    "orgId": "org_1",
    "type": "function",
    "function": {"name": "book_taxi", "parameters": {"type": "object"}},
    "server": {"url": LIVE_TOOL_URL},
}


def _vapi_tool_call(platform: FakePlatform, assistant: dict[str, Any], args: dict[str, str]) -> str:
    """Call the lookup tool the way Vapi does: a tool-calls webhook to the tool's server."""
    name = platform.script.tool
    tools = assistant.get("model", {}).get("tools", [])
    tool = next(t for t in tools if t.get("function", {}).get("name") == name)
    server = tool.get("server", {})
    message = {
        "message": {
            "type": "tool-calls",
            "toolCallList": [
                {
                    "id": "call_vapi_1",
                    "type": "function",
                    "function": {"name": name, "arguments": args},
                }
            ],
        }
    }
    if server.get("url") == LIVE_TOOL_URL:
        platform.live_calls.append(message)
        return "live result"
    request = urllib.request.Request(
        server["url"],
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json", **server.get("headers", {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    platform.webhook_answers.append(answer)
    result = answer["results"][0]
    return result.get("result") or f"error: {result.get('error')}"


def _vapi_chat(platform: FakePlatform, body: dict[str, Any]) -> dict[str, Any]:
    stored = vapi_assistant(platform.script) if body.get("assistantId") == "asst_1" else None
    assistant = body.get("assistant") or stored
    if assistant is None:
        raise KeyError("assistant")
    history = list(platform.chats.get(body.get("previousChatId") or "", []))
    given = body["input"]
    history += given if isinstance(given, list) else [{"role": "user", "content": given}]
    user_text = history[-1]["content"]
    args = platform.script.lookup(user_text)
    tool_output = _vapi_tool_call(platform, assistant, args) if args else None
    output = [{"role": "assistant", "content": _reply_for(user_text, tool_output)}]
    chat_id = f"chat_{len(platform.chats) + 1}"
    platform.chats[chat_id] = history + output
    return {
        "id": chat_id,
        "orgId": "org_1",
        "assistantId": "asst_1",
        "messages": history,
        "output": output,
        "cost": 0.002,
    }


# -- Retell -------------------------------------------------------------------------------

RETELL_AGENT = {
    "agent_id": "agent_1",
    "version": 4,
    "response_engine": {"type": "retell-llm", "llm_id": "llm_1", "version": 4},
}


def retell_llm(script: Script) -> dict[str, Any]:
    return {
        "llm_id": "llm_1",
        "general_tools": [
            {"type": "end_call", "name": "end_call"},
            {"type": "custom", "name": script.tool, "url": LIVE_TOOL_URL},
            {"type": "custom", "name": "book_taxi", "url": LIVE_TOOL_URL},
        ],
    }


def _mock_for(
    mocks: list[dict[str, Any]], name: str, args: dict[str, Any]
) -> dict[str, Any] | None:
    for mock in mocks:
        rule = mock["input_match_rule"]
        if mock["tool_name"] != name:
            continue
        if rule["type"] == "any" or all(args.get(k) == v for k, v in rule["args"].items()):
            return mock
    return None


def _retell_completion(platform: FakePlatform, body: dict[str, Any]) -> dict[str, Any]:
    user_text = body["messages"][-1]["content"]
    args = platform.script.lookup(user_text)
    name = platform.script.tool
    new: list[dict[str, Any]] = []
    tool_output = None
    if args:
        new.append(
            {
                "role": "tool_call_invocation",
                "tool_call_id": "tc_1",
                "name": name,
                "arguments": json.dumps(args),
            }
        )
        mock = _mock_for(body.get("tool_mocks", []), name, args)
        if mock is None:
            platform.live_calls.append({"name": name, "args": args})
            tool_output = "live result"
        else:
            tool_output = mock["output"]
        new.append(
            {
                "role": "tool_call_result",
                "tool_call_id": "tc_1",
                "content": tool_output,
                "successful": True,
            }
        )
    new.append({"role": "agent", "content": _reply_for(user_text, tool_output)})
    return {"messages": new, "current_state": "general", "call_ended": False}


class _Handler(BaseHTTPRequestHandler):
    platform: FakePlatform
    kind: str

    def _send(self, status: int, doc: Any) -> None:
        payload = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            self._send(401, {"message": "Invalid Key"})
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorised():
            return
        url = urlparse(self.path)
        self.platform.requests.append(("GET", self.path, None))
        routes = {
            "/assistant/asst_1": vapi_assistant(self.platform.script),
            "/tool/tool_taxi": VAPI_STORED_TOOL,
            "/get-agent/agent_1": RETELL_AGENT,
            "/get-retell-llm/llm_1": retell_llm(self.platform.script),
        }
        doc = routes.get(url.path)
        if doc is None or (
            url.path.startswith("/get-retell-llm") and parse_qs(url.query).get("version") != ["4"]
        ):
            self._send(404, {"message": "not found"})
            return
        self._send(200, doc)

    def do_POST(self) -> None:
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.platform.requests.append(("POST", self.path, body))
        try:
            if self.path == "/chat":
                self._send(201, _vapi_chat(self.platform, body))
            elif self.path.startswith("/agent-playground-completion/agent_1"):
                self._send(200, _retell_completion(self.platform, body))
            else:
                self._send(404, {"message": "not found"})
        except KeyError as exc:
            self._send(400, {"message": f"bad request: {exc}"})

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def fake_platform(script: Script = WEATHER) -> Iterator[FakePlatform]:
    """One fake serving both platforms' routes (they do not collide)."""
    platform = FakePlatform(script)
    handler = type("Handler", (_Handler,), {"platform": platform})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    platform.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
