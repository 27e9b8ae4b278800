"""Hosted replay targets against fake Vapi and Retell servers: the requests they receive
(recorded history, tool mocks, tools pointed at the playback endpoint), tool calls answered
from the recording, and the report's transcript and voice-metric comparisons.

The original is the LiveKit session of tests/fixtures/semconv (a weather question with a
get_weather tool call, then a follow-up)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_replay.app.conversations import session_scenario
from otel_replay.app.reports import run_report
from otel_replay.app.targets import AgentRef
from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import HistoryMode, ReplayRun, RunStatus
from otel_replay.importer import import_data
from otel_replay.replay.hosted import HostedAgentError, HostedClient, HostedPlatform, HostedRef
from otel_replay.replay.hosted_retell import tool_mocks
from otel_replay.replay.hosted_vapi import VapiToolPlayback, sealed_assistant
from otel_replay.replay.matchers import RecordedToolCall, ToolPlayback
from otel_replay.replay.runner import ReplayOptions, replay_scenario
from otel_replay.scenario.model import Scenario
from otel_replay.semconv.keys import REPLAY_LINK_TYPE_KEY, REPLAY_OF
from otel_replay.store import SqlSpanStore
from tests.conftest import opened_store
from tests.voice.fake_platforms import KEY, FakePlatform, fake_platform

FIXTURE = Path(__file__).parent.parent / "fixtures" / "semconv" / "livekit-agents-1.6.json"
SESSION = "livekit-agents-1.6-session-001"
RECORDED_RESULT = {"temperature_c": 14, "conditions": "rainy"}


@pytest.fixture
def store(sqlite_url: str) -> Iterator[SqlSpanStore]:
    yield from opened_store(sqlite_url)


@pytest.fixture
def scenario(store: SqlSpanStore) -> Scenario:
    import_data(store, [(FIXTURE.name, FIXTURE.read_bytes())])
    return session_scenario(store, SESSION)


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatform]:
    with fake_platform() as fake:
        for name in ("VAPI", "RETELL"):
            monkeypatch.setenv(f"{name}_API_KEY", KEY)
            monkeypatch.setenv(f"OTEL_REPLAY_{name}_BASE_URL", fake.url)
        yield fake


def _replay(store: SqlSpanStore, scenario: Scenario, agent: str) -> ReplayRun:
    target = AgentRef.parse(agent).load()
    return replay_scenario(scenario, target.factory, store, agent_label=target.label)


def test_vapi_chat_replay_points_tools_at_the_playback_and_answers_from_the_recording(
    store: SqlSpanStore, scenario: Scenario, platform: FakePlatform
) -> None:
    run = _replay(store, scenario, "vapi://asst_1")

    assert run.status is RunStatus.OK, [t.error for t in run.turns]
    assert run.agent == "vapi://asst_1"
    assert platform.live_calls == []  # no tool call went to the live server
    first, second = platform.posted("/chat")
    assert first["input"] == "What's the weather in Paris right now?"
    assert "assistantId" not in first  # a transient assistant with its tools sealed
    tools = {
        t.get("function", {}).get("name", t["type"]): t
        for t in first["assistant"]["model"]["tools"]
    }
    assert set(tools) == {"endCall", "get_weather", "book_taxi"}  # toolIds inlined
    assert "toolIds" not in first["assistant"]["model"] and "id" not in first["assistant"]
    for name in ("get_weather", "book_taxi"):
        assert tools[name]["server"]["url"].startswith("http://127.0.0.1:")
        assert tools[name]["server"]["headers"]["X-Otel-Replay-Secret"]
    assert second["previousChatId"] == "chat_1"
    assert second["input"] == "Thanks! Should I bring an umbrella?"
    # The webhook was answered with the recorded result, and the run counts the call as such.
    assert json.loads(platform.webhook_answers[0]["results"][0]["result"]) == RECORDED_RESULT
    (call,) = run.turns[0].replayed.tool_calls  # type: ignore[union-attr]
    assert (call.name, call.arguments, call.result, call.source) == (
        "get_weather",
        {"location": "Paris"},
        RECORDED_RESULT,
        "recorded",
    )
    assert run.turns[0].replayed.assistant.startswith("Here is what I found:")  # type: ignore[union-attr]
    assert run.turns[0].replayed.llm_calls == 1  # type: ignore[union-attr]


def test_retell_playground_replay_sends_history_version_and_tool_mocks(
    store: SqlSpanStore, scenario: Scenario, platform: FakePlatform
) -> None:
    run = _replay(store, scenario, "retell://agent_1@4")

    assert run.status is RunStatus.OK, [t.error for t in run.turns]
    assert platform.live_calls == []
    first, second = platform.posted("/agent-playground-completion/agent_1")
    assert first["version"] == 4
    assert first["messages"] == [
        {"role": "user", "content": "What's the weather in Paris right now?"}
    ]
    mocks = first["tool_mocks"]
    assert mocks[0] == {
        "tool_name": "get_weather",
        "input_match_rule": {"type": "partial_match", "args": {"location": "Paris"}},
        "output": json.dumps(RECORDED_RESULT, ensure_ascii=False),
    }
    # Every other tool of the agent answers an error; end_call is left to the platform.
    assert {(m["tool_name"], m["input_match_rule"]["type"]) for m in mocks[1:]} == {
        ("book_taxi", "any"),
        ("get_weather", "any"),
    }
    # The second turn carries the first turn's messages as Retell answered them.
    assert [m["role"] for m in second["messages"]] == [
        "user",
        "tool_call_invocation",
        "tool_call_result",
        "agent",
        "user",
    ]
    assert second["current_state"] == "general"
    assert second["tool_mocks"][0]["input_match_rule"] == {"type": "any"}  # nothing recorded
    (call,) = run.turns[0].replayed.tool_calls  # type: ignore[union-attr]
    assert (call.name, call.source) == ("get_weather", "recorded")


def test_hosted_replay_report_compares_transcripts_and_voice_metrics(
    store: SqlSpanStore, scenario: Scenario, platform: FakePlatform
) -> None:
    run = _replay(store, scenario, "retell://agent_1@4")
    report = run_report(store, run)

    assert [t.user for t in report.transcript] == [
        "What's the weather in Paris right now?",
        "Thanks! Should I bring an umbrella?",
    ]
    assert report.transcript[1].replay.assistant == "Yes, take an umbrella with you today."  # type: ignore[union-attr]
    voice = report.voice
    assert voice is not None
    assert (voice.original_source, voice.replay_source) == ("livekit", "text_replay")
    rows = {row.name: row for row in voice.call}
    # The LiveKit call: latencies 2300 and 1100 ms (tests/voice/test_spans.py).
    assert rows["agent_latency_ms_mean"].original == pytest.approx(1700.0)
    assert rows["agent_latency_ms_mean"].replay is not None
    assert rows["turn_count"].original == 2 and rows["turn_count"].replay == 2
    assert rows["agent_wpm"].replay is None  # not heard in a text replay
    assert [t.number for t in voice.turns] == [1, 2]


def test_hosted_references_parse_by_scheme_only() -> None:
    assert AgentRef.parse("vapi://asst_1").hosted == HostedRef(HostedPlatform.VAPI, "asst_1")
    assert AgentRef.parse("retell://agent_1@4").hosted == HostedRef(
        HostedPlatform.RETELL, "agent_1", "4"
    )
    assert AgentRef.parse("retell://agent_1").label == "retell://agent_1"
    module = AgentRef.parse("vapi:answer")  # a Python module named vapi
    assert (module.module, module.hosted) == ("vapi:answer", None)
    for bad in ("retell://agent_1@", "vapi://asst_1@3", "vapi://"):
        with pytest.raises(BadInputError):
            AgentRef.parse(bad)


def test_hosted_agent_without_a_key_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETELL_API_KEY", raising=False)
    with pytest.raises(BadInputError, match="RETELL_API_KEY"):
        AgentRef.parse("retell://agent_1").load()


def test_live_tools_are_left_to_the_platform_and_unsealable_tools_refused() -> None:
    playback = ToolPlayback(
        0,
        [RecordedToolCall("get_weather", {"location": "Paris"}, result={"t": 14})],
        live_tools=frozenset({"get_weather"}),
    )
    # Retell: a live tool gets no mock at all, so the platform runs it.
    mocks = tool_mocks(playback, {"get_weather", "book_taxi"})
    assert [m["tool_name"] for m in mocks] == ["book_taxi"]
    # Vapi: a live tool keeps its server; one that cannot be sealed is refused.
    client = HostedClient(HostedPlatform.VAPI, "http://127.0.0.1:9", KEY, 1.0)
    tool = {"type": "function", "function": {"name": "get_weather"}, "server": {"url": "x"}}
    assistant = {"model": {"tools": [tool]}}
    assert sealed_assistant(client, assistant, "http://p", "s", frozenset({"get_weather"})) is None
    request = {"type": "apiRequest", "name": "post_crm", "url": "https://crm.example.invalid"}
    with pytest.raises(HostedAgentError, match=r"post_crm.*--live-tools"):
        sealed_assistant(client, {"model": {"tools": [request]}}, "http://p", "s", frozenset())


def test_vapi_tool_playback_refuses_a_webhook_without_its_secret() -> None:
    with VapiToolPlayback() as playback:
        body = json.dumps({"message": {"type": "tool-calls", "toolCallList": []}}).encode()
        request = urllib.request.Request(
            playback.url, data=body, headers={"X-Otel-Replay-Secret": "wrong"}, method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        refused.value.close()
        assert refused.value.code == 401
        # With the secret but outside a turn: nothing to answer from.
        request.add_header("X-Otel-Replay-Secret", playback.secret)
        with pytest.raises(urllib.error.HTTPError) as outside:
            urllib.request.urlopen(request, timeout=10)
        outside.value.close()
        assert outside.value.code == 409


def test_hosted_spans_link_to_the_spans_they_replay(
    store: SqlSpanStore, scenario: Scenario, platform: FakePlatform
) -> None:
    run = _replay(store, scenario, "vapi://asst_1")
    original = {s.span_id: s.name for s in store.get_spans(list(scenario.source.trace_ids))}
    linked = {
        (span.name, original.get(link.span_id))
        for span in store.get_spans(run.trace_ids)
        for link in span.links
        if link.attributes.get(REPLAY_LINK_TYPE_KEY) == REPLAY_OF
    }
    assert ("chat vapi", "llm_request") in linked
    assert ("execute_tool get_weather", "function_tool") in linked


@pytest.mark.parametrize("agent", ["vapi://asst_1", "retell://agent_1@4"])
def test_recorded_history_is_sent_as_the_conversation_so_far(
    store: SqlSpanStore, scenario: Scenario, platform: FakePlatform, agent: str
) -> None:
    target = AgentRef.parse(agent).load()
    options = ReplayOptions(history=HistoryMode.RECORDED)
    run = replay_scenario(scenario, target.factory, store, agent_label=agent, options=options)
    assert run.status is RunStatus.OK
    recorded = [
        ("user", "What's the weather in Paris right now?"),
        ("agent", "It's currently 14°C and rainy in Paris."),
        ("user", "Thanks! Should I bring an umbrella?"),
    ]
    if agent.startswith("vapi"):
        second = platform.posted("/chat")[1]
        assert "previousChatId" not in second  # another history than the chat's own
        sent = [(m["role"].replace("assistant", "agent"), m["content"]) for m in second["input"]]
    else:
        second = platform.posted("/agent-playground-completion/agent_1")[1]
        sent = [(m["role"], m["content"]) for m in second["messages"]]
        assert "current_state" not in second
    assert sent == recorded
