"""Voice metrics against values computed by hand (docs/voice-metrics.md gives each formula)."""

from __future__ import annotations

import pytest

from otel_replay.voice import EndReasonBucket, Speaker, Utterance, VoiceTimeline, measure_call
from otel_replay.voice.end_reasons import bucket_end_reason
from otel_replay.voice.metrics import percentile, words_per_minute

A, U = Speaker.AGENT, Speaker.USER

# A greeting, four exchanges; the user barges in on the agent's third answer (13200 < 14200)
# and the agent then starts before the user has finished (13900 < 14000).
CALL = (
    Utterance(A, "Hello, how can I help you today?", 400, 2400),  # 7 words, 2000 ms
    Utterance(U, "I want to check my order please", 3000, 5000),  # 7 words, 2000 ms
    Utterance(A, "Sure, what is your order number?", 5600, 7600),  # 6 words, 2000 ms
    Utterance(U, "It is one two three", 8400, 10400),  # 5 words, 2000 ms
    Utterance(A, "Let me look that up for you right", 11200, 14200),  # 8 words, 3000 ms
    Utterance(U, "Wait, sorry", 13200, 14000),  # 2 words, 800 ms
    Utterance(A, "Yes, go ahead", 13900, 15100),  # 3 words, 1200 ms
    Utterance(U, "Can you also change my address", 16100, 18100),  # 6 words, 2000 ms
    Utterance(A, "Of course", 19100, 20100),  # 2 words, 1000 ms
)


def _timeline(**changes: object) -> VoiceTimeline:
    fields: dict[str, object] = {
        "source": "test",
        "utterances": CALL,
        "end_reason": "customer-ended-call",
        "cost_usd": 0.12,
        "duration_ms": 21000.0,
    }
    fields.update(changes)
    return VoiceTimeline(**fields)  # type: ignore[arg-type]


def test_call_metrics_match_hand_computed_values() -> None:
    metrics = measure_call(_timeline())
    # Latencies 5600-5000, 11200-10400, (13900 < 14000: overlap, none), 19100-18100.
    assert metrics.agent_latency_ms_mean == pytest.approx(800.0)
    assert metrics.agent_latency_ms_p50 == 800.0
    assert metrics.agent_latency_ms_p90 == 1000.0
    # 26 agent words over 9200 ms; 20 user words over 6800 ms.
    assert metrics.agent_wpm == pytest.approx(26 / (9200 / 60000))
    assert metrics.user_wpm == pytest.approx(20 / (6800 / 60000))
    assert metrics.user_interruptions == 1
    assert metrics.agent_interruptions == 1
    assert metrics.agent_stop_latency_ms == 1000.0  # 14200 - 13200
    assert metrics.time_to_first_audio_ms == 400.0
    # Speech merged: 11200-15100 is one stretch; the longest gaps are 1000 ms.
    assert metrics.longest_silence_ms == 1000.0
    assert metrics.talk_ratio == pytest.approx(9200 / 6800)
    assert metrics.turn_count == 5  # the greeting and four answers
    assert metrics.end_reason_bucket is EndReasonBucket.COMPLETED_USER
    assert metrics.cost_usd == 0.12


def test_turn_metrics_pair_each_user_run_with_the_agent_answer() -> None:
    turns = measure_call(_timeline()).turns
    assert [t.turn for t in turns] == [0, 1, 2, 3]
    assert [t.agent_latency_ms for t in turns] == [600.0, 800.0, None, 1000.0]
    assert [t.user_words for t in turns] == [7, 5, 2, 6]
    assert [t.agent_words for t in turns] == [6, 8, 3, 2]
    assert [t.user_interrupted_agent for t in turns] == [False, True, False, False]
    assert [t.agent_interrupted_user for t in turns] == [False, False, True, False]
    assert turns[1].agent_stop_latency_ms == 1000.0
    assert turns[1].agent_wpm == pytest.approx(8 / (3000 / 60000))


def test_estimated_timeline_leaves_sound_only_metrics_unknown() -> None:
    metrics = measure_call(_timeline(estimated=True))
    assert metrics.agent_wpm is None
    assert metrics.user_interruptions is None
    assert metrics.agent_interruptions is None
    assert metrics.agent_stop_latency_ms is None
    assert metrics.turns[1].user_interrupted_agent is None
    # Latency and the user's own rate are still read from the timeline.
    assert metrics.agent_latency_ms_mean == pytest.approx(800.0)
    assert metrics.user_wpm == pytest.approx(20 / (6800 / 60000))


def test_flagged_interruption_counts_without_overlap_and_has_no_stop_latency() -> None:
    utterances = (
        Utterance(U, "hi", 0, 500),
        Utterance(A, "hello there", 900, 2000, interrupted=True),
        Utterance(U, "bye", 2500, 3000),
    )
    metrics = measure_call(VoiceTimeline("test", utterances))
    assert metrics.user_interruptions == 1
    assert metrics.agent_stop_latency_ms is None
    assert metrics.end_reason_bucket is None


def test_words_per_minute_uses_speech_time_skips_blips_and_caps() -> None:
    # Vapi: `duration` (speech) is shorter than the span; 6 words in 1500 ms = 240 wpm.
    spoken = Utterance(A, "one two three four five six", 0, 4000, speech_ms=1500)
    blip = Utterance(A, "uh huh", 5000, 5050)  # 50 ms: left out
    assert words_per_minute([spoken, blip]) == pytest.approx(240.0)
    assert words_per_minute([Utterance(A, "a b c d e f g h i j", 0, 1000)]) == 300.0
    assert words_per_minute([blip]) is None


def test_untimed_call_has_words_and_turns_but_no_timing() -> None:
    utterances = (Utterance(U, "hello"), Utterance(A, "hi, how are you"))
    metrics = measure_call(VoiceTimeline("test", utterances))
    assert metrics.turn_count == 1
    assert metrics.turns[0].agent_words == 4
    assert metrics.agent_latency_ms_mean is None
    assert metrics.longest_silence_ms is None
    assert metrics.time_to_first_audio_ms is None


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 90) == 5.0
    assert percentile([], 50) is None


@pytest.mark.parametrize(
    ("reason", "bucket"),
    [
        ("customer-ended-call", EndReasonBucket.COMPLETED_USER),
        ("assistant-said-end-call-phrase", EndReasonBucket.COMPLETED_AGENT),
        ("call.forwarding.operator-busy", EndReasonBucket.TRANSFERRED),
        ("voicemail_reached", EndReasonBucket.VOICEMAIL),
        ("silence-timed-out", EndReasonBucket.SILENCE),
        ("max_duration_reached", EndReasonBucket.MAX_DURATION),
        ("dial_no_answer", EndReasonBucket.NOT_CONNECTED),
        ("pipeline-error-openai-llm-failed", EndReasonBucket.ERROR),
        ("error_llm_websocket_lost_connection", EndReasonBucket.ERROR),
        ("manually-canceled", EndReasonBucket.OTHER),
        ("participant_disconnected", EndReasonBucket.COMPLETED_USER),  # LiveKit
        ("completed_agent", EndReasonBucket.COMPLETED_AGENT),  # already a bucket
        ("unknown", EndReasonBucket.UNKNOWN),
        (None, None),
    ],
)
def test_end_reasons_fall_into_buckets(reason: str | None, bucket: EndReasonBucket | None) -> None:
    assert bucket_end_reason(reason) is bucket
