"""A Vapi call imported from its end-of-call report (tests/fixtures/voice/synthetic: a tool
call and a barge-in), replayed through `vapi://` against the fake Vapi API, and diffed: the
voice metrics of the original are checked against values computed by hand from the call."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from otel_replay.app.conversations import load_conversation, session_scenario
from otel_replay.app.reports import compare, run_report
from otel_replay.app.targets import AgentRef
from otel_replay.core.runs import RunStatus
from otel_replay.importer import import_data
from otel_replay.replay.runner import replay_scenario
from otel_replay.report.markdown import render_markdown
from otel_replay.store import SqlSpanStore
from otel_replay.voice import EndReasonBucket, measure_call
from otel_replay.voice.spans import timeline_from_spans
from tests.conftest import FIXTURES, opened_store
from tests.voice.fake_platforms import KEY, ORDERS, FakePlatform, fake_platform

CALL = FIXTURES / "voice" / "synthetic" / "vapi_eocr_barge_in_tool_call.json"


@pytest.fixture
def store(sqlite_url: str) -> Iterator[SqlSpanStore]:
    yield from opened_store(sqlite_url)


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatform]:
    with fake_platform(ORDERS) as fake:
        monkeypatch.setenv("VAPI_API_KEY", KEY)
        monkeypatch.setenv("OTEL_REPLAY_VAPI_BASE_URL", fake.url)
        yield fake


def test_imported_vapi_call_replays_through_vapi_and_diffs_voice_metrics(
    store: SqlSpanStore, platform: FakePlatform
) -> None:
    import_data(store, [(CALL.name, CALL.read_bytes())])
    scenario = session_scenario(store, "call-synth-barge-in")
    target = AgentRef.parse("vapi://asst_1").load()
    run = replay_scenario(scenario, target.factory, store, agent_label=target.label)

    assert run.status is RunStatus.OK, [t.error for t in run.turns]
    assert platform.live_calls == []
    first = platform.posted("/chat")[0]
    assert first["input"] == "Hi, where is my order 4471?"
    answer = platform.webhook_answers[0]["results"][0]
    assert json.loads(answer["result"]) == {"status": "shipped", "eta": "Friday"}

    report = run_report(store, run)
    voice = report.voice
    assert voice is not None and voice.original_source == "vapi"
    original = {row.name: row.original for row in voice.call}
    # From the call's messages (ms from the recording start): greeting 500-2100; user
    # 2600-4600; agent 5200-6400 and 6800-10800 (cut off: the user starts at 9500); user
    # 9500-11000; agent 11600-12800. Speech times are Vapi's `duration`s.
    assert original["agent_latency_ms_mean"] == 600.0  # 5200-4600 and 11600-11000
    assert original["user_interruptions"] == 1
    assert original["agent_interruptions"] == 0
    assert original["agent_stop_latency_ms"] == 1300.0  # 10800-9500
    assert original["time_to_first_audio_ms"] == 500.0
    assert original["longest_silence_ms"] == 600.0
    assert original["talk_ratio"] == pytest.approx(7600 / 3300)  # 1500+1100+3900+1100 / 1900+1400
    # 5 + 6 + 14 + 3 agent words over 7600 ms of speech.
    assert original["agent_wpm"] == pytest.approx(28 / (7600 / 60000))
    assert original["turn_count"] == 3
    assert original["cost_usd"] == 0.0812
    assert voice.original_end_reason == "completed_user"
    replay = {row.name: row.replay for row in voice.call}
    assert replay["cost_usd"] == pytest.approx(0.004)  # the fake charges 0.002 a chat
    assert replay["turn_count"] == 3  # the recorded greeting, then one answer per turn
    assert replay["user_interruptions"] is None  # a text replay cannot barge in
    # Each turn's user speech keeps its recorded length and pause.
    assert replay["user_wpm"] == pytest.approx(original["user_wpm"])
    assert [t.number for t in voice.turns] == [1, 2]
    markdown = render_markdown([report])
    assert "### Voice metrics" in markdown
    assert "| user interruptions | 1 | - | - | - |" in markdown


def test_two_recorded_calls_are_compared_on_their_voice_metrics(store: SqlSpanStore) -> None:
    other = FIXTURES / "voice" / "synthetic" / "vapi_get_call_missing_durations.json"
    import_data(store, [(CALL.name, CALL.read_bytes()), (other.name, other.read_bytes())])
    report = compare(store, "call-synth-barge-in", "call-synth-missing-durations").report
    voice = report.voice
    assert voice is not None
    assert (voice.original_source, voice.replay_source) == ("vapi", "vapi")
    assert not voice.replay_estimated
    rows = {row.name: row for row in voice.call}
    assert rows["user_interruptions"].original == 1
    assert rows["turn_count"].original == 3
    assert rows["turn_count"].replay is not None


def test_imported_retell_call_metrics_match_hand_computed_values(store: SqlSpanStore) -> None:
    call = FIXTURES / "voice" / "synthetic" / "retell_call_analyzed_tool_call.json"
    import_data(store, [(call.name, call.read_bytes())])
    conversation = load_conversation(store, "call_synth_retell_tools")
    timeline = timeline_from_spans(store.get_spans(list(conversation.trace_ids)))
    assert timeline is not None and timeline.source == "retell"
    metrics = measure_call(timeline)
    # Word times (s): greeting 0.6-2.05; user 3.0-5.05; agent 5.4-6.85 and 7.5-10.75;
    # user 11.0-11.55; agent 12.2-12.45.
    assert [t.agent_latency_ms for t in metrics.turns] == [350.0, 650.0]
    assert metrics.agent_latency_ms_mean == 500.0
    # 5 + 5 + 11 + 1 agent words over 1450 + 1450 + 3250 + 250 ms.
    assert metrics.agent_wpm == pytest.approx(22 / (6400 / 60000))
    assert metrics.talk_ratio == pytest.approx(6400 / 2600)
    assert metrics.longest_silence_ms == 950.0  # 2050 -> 3000
    assert metrics.time_to_first_audio_ms == 600.0
    assert (metrics.user_interruptions, metrics.agent_interruptions) == (0, 0)
    assert metrics.end_reason_bucket is EndReasonBucket.COMPLETED_AGENT  # agent_hangup
    assert metrics.cost_usd == pytest.approx(0.125)  # 12.5 cents
