"""Voice timelines from LiveKit and Pipecat spans (the semconv fixtures) and from the
voice-call convention, with metrics checked against hand-computed values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otel_replay.core.records import Span
from otel_replay.otlp.convert import spans_from_request
from otel_replay.otlp.decode import Encoding, decode_trace_request
from otel_replay.semconv.attributes import GenAI, VoiceCall
from otel_replay.voice import EndReasonBucket, Speaker, measure_call
from otel_replay.voice.spans import timeline_from_spans

FIXTURES = Path(__file__).parent.parent / "fixtures" / "semconv"


def _spans(name: str) -> list[Span]:
    body = (FIXTURES / name).read_bytes()
    return list(spans_from_request(decode_trace_request(body, Encoding.JSON)))


def test_livekit_timeline_from_user_turn_and_tts_spans() -> None:
    timeline = timeline_from_spans(_spans("livekit-agents-1.6.json"))
    assert timeline is not None and timeline.source == "livekit"
    # From the agent_session start: user 500-3000, speech 5300-7400, user 60000-62000,
    # speech 63100-65400 (tts_node spans; their tts_request children hold the text).
    assert [(u.speaker, u.start_ms, u.end_ms) for u in timeline.utterances] == [
        (Speaker.USER, 500.0, 3000.0),
        (Speaker.AGENT, 5300.0, 7400.0),
        (Speaker.USER, 60000.0, 62000.0),
        (Speaker.AGENT, 63100.0, 65400.0),
    ]
    assert timeline.utterances[1].text == "It's currently 14°C and rainy in Paris."
    assert [t.name for t in timeline.tool_calls] == ["get_weather"]
    metrics = measure_call(timeline)
    assert [t.agent_latency_ms for t in metrics.turns] == [2300.0, 1100.0]
    assert metrics.agent_latency_ms_mean == pytest.approx(1700.0)
    assert metrics.time_to_first_audio_ms == 5300.0
    assert metrics.longest_silence_ms == 52600.0  # 60000 - 7400
    assert metrics.duration_ms == 90000.0
    assert metrics.user_interruptions == 0


def test_pipecat_timeline_places_the_answer_by_the_turns_measured_latency() -> None:
    timeline = timeline_from_spans(_spans("pipecat.json"))
    assert timeline is not None and timeline.source == "pipecat"
    # stt 400-2900, answer at 2900 + 1200 (turn.user_bot_latency_seconds) until 7500.
    assert [(u.speaker, u.start_ms, u.end_ms) for u in timeline.utterances] == [
        (Speaker.USER, 400.0, 2900.0),
        (Speaker.AGENT, 4100.0, 7500.0),
        (Speaker.USER, 60300.0, 61900.0),
        (Speaker.AGENT, 63100.0, 65500.0),
    ]
    metrics = measure_call(timeline)
    assert metrics.agent_latency_ms_p50 == pytest.approx(1200.0)
    # "It's currently 14°C and rainy in Paris." is 8 words (14 and C), over 3400 ms; the
    # second answer 12 words over 2400 ms.
    assert metrics.agent_wpm == pytest.approx(20 / (5800 / 60000))


def test_spans_without_a_voice_call_give_no_timeline() -> None:
    assert timeline_from_spans(_spans("openinference.json")) is None


def _span(name: str, span_id: str, attributes: dict[str, object], parent: str = "") -> Span:
    return Span(
        trace_id="ab" * 16,
        span_id=span_id,
        name=name,
        start_time_unix_nano=1_000_000_000_000,
        end_time_unix_nano=1_000_030_000_000_000 // 1000,
        parent_span_id=parent,
        attributes=attributes,  # type: ignore[arg-type]
    )


def test_voice_call_convention_reads_utterances_tools_end_reason_and_cost() -> None:
    utterances = [
        {"role": "agent", "text": "Hi, this is Ada.", "start_ms": 300, "end_ms": 1500},
        {"role": "user", "text": "Hello", "start_ms": 2000, "end_ms": 2600, "speech_ms": 500},
        {"role": "user", "text": "I need help", "start_ms": 2700, "end_ms": 3600},
        {"role": "agent", "text": "Sure, one moment", "start_ms": 4400, "end_ms": 5600},
        {"role": "user", "text": "Thanks", "start_ms": 5300, "end_ms": 5800},
        {"role": "agent", "text": "You're welcome", "start_ms": 6500},
    ]
    call = _span(
        VoiceCall.SPAN_CALL,
        "1" * 16,
        {
            VoiceCall.PLATFORM: "vapi",
            VoiceCall.UTTERANCES: json.dumps(utterances),
            VoiceCall.END_REASON: "assistant-ended-call",
            VoiceCall.END_REASON_BUCKET: "completed_agent",
            VoiceCall.COST_USD: 0.0421,
            VoiceCall.DURATION_MS: 7000,
        },
    )
    tool = _span(
        "execute_tool lookup",
        "2" * 16,
        {
            GenAI.TOOL_NAME: "lookup",
            GenAI.TOOL_CALL_ARGUMENTS: '{"id": 7}',
            GenAI.TOOL_CALL_RESULT: '{"ok": true}',
            VoiceCall.TOOL_CALL_MS: 3700,
            VoiceCall.TOOL_RESULT_MS: 4100,
        },
        parent="1" * 16,
    )
    timeline = timeline_from_spans([call, tool])
    assert timeline is not None and timeline.source == "vapi"
    assert [u.turn for u in timeline.utterances] == [None, 0, 0, 0, 1, 1]
    assert timeline.utterances[-1].end_ms is None  # an end never recorded stays unknown
    assert timeline.tool_calls[0].arguments == {"id": 7}
    assert timeline.tool_calls[0].start_ms == 3700.0
    metrics = measure_call(timeline)
    assert [t.agent_latency_ms for t in metrics.turns] == [800.0, 700.0]  # 4400-3600, 6500-5800
    assert metrics.user_interruptions == 1  # 5300 < 5600
    assert metrics.agent_stop_latency_ms == 300.0
    assert metrics.time_to_first_audio_ms == 300.0
    assert metrics.end_reason_bucket is EndReasonBucket.COMPLETED_AGENT
    assert metrics.cost_usd == 0.0421
    assert metrics.duration_ms == 7000.0
