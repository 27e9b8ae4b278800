"""`retell://AGENT_ID[@VERSION]`: each user turn through Retell's agent playground completion
(`POST /agent-playground-completion/{agent_id}`), which takes the whole history and answers
with the agent's new messages.

The seal: every request carries `tool_mocks`. The turn's recorded calls become mocks first
(`partial_match` on the recorded arguments under `--tool-mode strict`, `any` under
`lenient`), answering the recorded result; then every other tool the agent has (read from
`GET /get-agent/{id}` and its Retell LLM or conversation flow, plus every tool the recording
names) gets a catch-all mock answering an error, so that no call reaches a live tool
server. Tools named in `--live-tools` are not mocked. The agent's tool calls the answer
shows are then recorded as sealed tool spans, matched against the recording as an in-process
tool call is.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from otel_replay.replay.agents import AgentFactory, ChatMessage
from otel_replay.replay.hosted import (
    HostedAgentError,
    HostedClient,
    HostedPlatform,
    plain_history,
    platform_span,
    record_reply,
)
from otel_replay.replay.matchers import RecordedToolCall, ToolMatchMode, ToolPlayback
from otel_replay.replay.sealing import current_playback
from otel_replay.replay.tools import (
    RecordedToolError,
    SealedCall,
    UnmatchedToolCallError,
    result_text,
)

# Built-in actions that touch nothing outside the conversation.
_UNMOCKED_TYPES = frozenset({"end_call", "press_digit"})
UNRECORDED_OUTPUT = (
    "otel-replay: this tool call matches no call recorded in this turn; it was not run"
)


def _query(version: str | None) -> str:
    return f"?version={quote(version)}" if version else ""


def agent_tool_names(client: HostedClient, agent_id: str, version: str | None) -> set[str]:
    """The names of the agent's tools that may reach the outside, from its response engine
    (a custom-LLM agent's tools live in the user's own service: none found)."""
    agent = client.request("GET", f"/get-agent/{quote(agent_id)}{_query(version)}")
    engine = agent.get("response_engine") if isinstance(agent, dict) else None
    if not isinstance(engine, dict):
        return set()
    engine_version = engine.get("version")
    engine_query = _query(None if engine_version is None else str(engine_version))
    tools: list[Any] = []
    if engine.get("type") == "retell-llm" and engine.get("llm_id"):
        llm = client.request("GET", f"/get-retell-llm/{quote(str(engine['llm_id']))}{engine_query}")
        if isinstance(llm, dict):
            tools += llm.get("general_tools") or []
            for state in llm.get("states") or []:
                if isinstance(state, dict):
                    tools += state.get("tools") or []
    elif engine.get("type") == "conversation-flow" and engine.get("conversation_flow_id"):
        flow_id = quote(str(engine["conversation_flow_id"]))
        flow = client.request("GET", f"/get-conversation-flow/{flow_id}{engine_query}")
        if isinstance(flow, dict):
            tools += flow.get("tools") or []
    return {
        str(t["name"])
        for t in tools
        if isinstance(t, dict) and t.get("name") and t.get("type") not in _UNMOCKED_TYPES
    }


def tool_mocks(playback: ToolPlayback | None, other_tools: set[str]) -> list[dict[str, Any]]:
    """The turn's recorded calls as mocks, then a catch-all error mock per other tool."""
    live = playback.live_tools if playback is not None else frozenset()
    recorded: list[RecordedToolCall] = list(playback.recorded) if playback is not None else []
    lenient = playback is not None and playback.mode is ToolMatchMode.LENIENT
    mocks: list[dict[str, Any]] = []
    for call in recorded:
        if call.name in live:
            continue
        rule: dict[str, Any] = (
            {"type": "any"} if lenient else {"type": "partial_match", "args": call.arguments}
        )
        output = call.error if call.error is not None else result_text(call.result)
        mocks.append({"tool_name": call.name, "input_match_rule": rule, "output": output})
    for name in sorted((other_tools | {c.name for c in recorded}) - live):
        mocks.append(
            {"tool_name": name, "input_match_rule": {"type": "any"}, "output": UNRECORDED_OUTPUT}
        )
    return mocks


class RetellPlaygroundSession:
    """One conversation: the history the runner shows, with the tool messages Retell sent
    while that history is the one it answered, goes with every request."""

    def __init__(
        self,
        client: HostedClient,
        agent_id: str,
        version: str | None,
        variables: dict[str, str] | None = None,
    ) -> None:
        self._client = client
        self._variables = variables or {}
        self._agent_id = agent_id
        self._version = version
        self._known_tools: set[str] | None = None
        self._messages: list[dict[str, Any]] = []  # Retell messages of the history so far
        self._shown: list[tuple[str, str]] = []
        self._state: str | None = None

    def _tools(self) -> set[str]:
        if self._known_tools is None:
            self._known_tools = agent_tool_names(self._client, self._agent_id, self._version)
        return self._known_tools

    def __call__(self, messages: list[ChatMessage]) -> ChatMessage:
        shown = plain_history(messages)
        if shown[:-1] != self._shown:  # the runner shows another history (recorded answers)
            self._messages = [
                {"role": "agent" if role == "assistant" else "user", "content": text}
                for role, text in shown[:-1]
            ]
            self._state = None
        history = [*self._messages, {"role": "user", "content": shown[-1][1] if shown else ""}]
        playback = current_playback()
        body: dict[str, Any] = {
            "messages": history,
            "tool_mocks": tool_mocks(playback, self._tools()),
        }
        if self._variables:
            body["dynamic_variables"] = self._variables
        if self._version is not None:
            body["version"] = int(self._version) if self._version.isdigit() else self._version
        if self._state is not None:
            body["current_state"] = self._state
        path = f"/agent-playground-completion/{quote(self._agent_id)}"
        with platform_span(HostedPlatform.RETELL, self._agent_id, messages) as span:
            answer = self._client.request("POST", path, body)
            new = answer.get("messages") if isinstance(answer, dict) else None
            if not isinstance(new, list):
                raise HostedAgentError(f"retell POST {path} answered without a messages list")
            _record_tool_calls([m for m in new if isinstance(m, dict)])
            text = " ".join(
                str(m.get("content"))
                for m in new
                if isinstance(m, dict) and m.get("role") == "agent" and m.get("content")
            )
            record_reply(span, text)
        state = answer.get("current_state")
        self._state = state if isinstance(state, str) else None
        self._messages = [*history, *(m for m in new if isinstance(m, dict))]
        self._shown = [*shown, ("assistant", text)]
        return {"role": "assistant", "content": text}

    def close(self) -> None:
        return None


def _record_tool_calls(messages: list[dict[str, Any]]) -> None:
    """Each tool call the agent made, as a sealed tool span: recorded ones answer from the
    recording (what Retell's mock answered), live ones keep Retell's result."""
    results = {
        m.get("tool_call_id"): m.get("content")
        for m in messages
        if m.get("role") == "tool_call_result"
    }
    for message in messages:
        if message.get("role") != "tool_call_invocation":
            continue
        try:
            arguments = json.loads(message.get("arguments") or "{}")
        except ValueError:
            arguments = {"arguments": message.get("arguments")}
        if not isinstance(arguments, dict):
            arguments = {"arguments": arguments}
        call = SealedCall(str(message.get("name") or "?"), arguments)
        outcome: Any = results.get(message.get("tool_call_id"))
        # An unmatched or recorded-failed call raises: the playback keeps the divergence and
        # the span says so; the agent already saw the mock's answer.
        with contextlib.suppress(UnmatchedToolCallError, RecordedToolError):
            call.run(functools.partial(_same, outcome))


def _same(value: Any) -> Any:
    return value


def dynamic_variables(variables: Mapping[str, Any] | None) -> dict[str, str]:
    """Retell's dynamic variables are strings: a recorded number or object is sent as the
    text (JSON for an object) the prompt would have shown."""
    return {
        str(k): v if isinstance(v, str) else json.dumps(v) for k, v in (variables or {}).items()
    }


def retell_agent(
    client: HostedClient,
    agent_id: str,
    version: str | None,
    variables: Mapping[str, Any] | None = None,
) -> AgentFactory:
    """Sessions of the Retell agent (at `version`, else its latest), sent the recorded
    call's dynamic variables."""
    sent = dynamic_variables(variables)
    return lambda: RetellPlaygroundSession(client, agent_id, version, sent)
