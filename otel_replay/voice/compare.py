"""Voice metrics of two calls side by side: the original and its replay (or any two calls),
per call and per turn. Pure: the report renders what this returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from otel_replay.voice.metrics import CallVoiceMetrics, TurnVoiceMetrics, measure_call
from otel_replay.voice.timeline import VoiceTimeline


class VoiceMetricName(StrEnum):
    AGENT_LATENCY_MS_MEAN = "agent_latency_ms_mean"
    AGENT_LATENCY_MS_P50 = "agent_latency_ms_p50"
    AGENT_LATENCY_MS_P90 = "agent_latency_ms_p90"
    AGENT_LATENCY_MS = "agent_latency_ms"  # per turn
    AGENT_WPM = "agent_wpm"
    USER_WPM = "user_wpm"
    USER_INTERRUPTIONS = "user_interruptions"
    AGENT_INTERRUPTIONS = "agent_interruptions"
    AGENT_STOP_LATENCY_MS = "agent_stop_latency_ms"
    TIME_TO_FIRST_AUDIO_MS = "time_to_first_audio_ms"
    LONGEST_SILENCE_MS = "longest_silence_ms"
    TALK_RATIO = "talk_ratio"
    TURN_COUNT = "turn_count"
    AGENT_WORDS = "agent_words"  # per turn
    COST_USD = "cost_usd"
    DURATION_MS = "duration_ms"


_N = VoiceMetricName


@dataclass(frozen=True)
class VoiceDelta:
    """One measure, original against replay; `delta` is replay minus original, `percent`
    relative to the original (None when either is unknown or the original is 0)."""

    name: VoiceMetricName
    original: float | None
    replay: float | None
    delta: float | None
    percent: float | None


@dataclass(frozen=True)
class VoiceTurnDeltas:
    number: int  # 1-based turn
    deltas: tuple[VoiceDelta, ...]


@dataclass(frozen=True)
class VoiceComparison:
    original_source: str
    replay_source: str
    replay_estimated: bool
    call: tuple[VoiceDelta, ...]
    turns: tuple[VoiceTurnDeltas, ...]
    original_end_reason: str | None
    replay_end_reason: str | None


def _delta(name: VoiceMetricName, original: float | None, replay: float | None) -> VoiceDelta:
    delta = None if original is None or replay is None else replay - original
    percent = delta * 100.0 / original if delta is not None and original else None
    return VoiceDelta(name, original, replay, delta, percent)


def _call_values(m: CallVoiceMetrics) -> dict[VoiceMetricName, float | None]:
    return {
        _N.AGENT_LATENCY_MS_MEAN: m.agent_latency_ms_mean,
        _N.AGENT_LATENCY_MS_P50: m.agent_latency_ms_p50,
        _N.AGENT_LATENCY_MS_P90: m.agent_latency_ms_p90,
        _N.AGENT_WPM: m.agent_wpm,
        _N.USER_WPM: m.user_wpm,
        _N.USER_INTERRUPTIONS: m.user_interruptions,
        _N.AGENT_INTERRUPTIONS: m.agent_interruptions,
        _N.AGENT_STOP_LATENCY_MS: m.agent_stop_latency_ms,
        _N.TIME_TO_FIRST_AUDIO_MS: m.time_to_first_audio_ms,
        _N.LONGEST_SILENCE_MS: m.longest_silence_ms,
        _N.TALK_RATIO: m.talk_ratio,
        _N.TURN_COUNT: m.turn_count,
        _N.COST_USD: m.cost_usd,
        _N.DURATION_MS: m.duration_ms,
    }


def _turn_values(t: TurnVoiceMetrics | None) -> dict[VoiceMetricName, float | None]:
    if t is None:
        return {}
    return {
        _N.AGENT_LATENCY_MS: t.agent_latency_ms,
        _N.AGENT_WORDS: t.agent_words,
        _N.AGENT_WPM: t.agent_wpm,
        _N.USER_WPM: t.user_wpm,
        _N.USER_INTERRUPTIONS: None
        if t.user_interrupted_agent is None
        else int(t.user_interrupted_agent),
        _N.AGENT_INTERRUPTIONS: None
        if t.agent_interrupted_user is None
        else int(t.agent_interrupted_user),
        _N.AGENT_STOP_LATENCY_MS: t.agent_stop_latency_ms,
    }


TURN_VOICE_METRICS: tuple[VoiceMetricName, ...] = (
    _N.AGENT_LATENCY_MS,
    _N.AGENT_WORDS,
    _N.AGENT_WPM,
    _N.USER_WPM,
    _N.USER_INTERRUPTIONS,
    _N.AGENT_INTERRUPTIONS,
    _N.AGENT_STOP_LATENCY_MS,
)


def _all(
    names: Sequence[VoiceMetricName],
    original: Mapping[VoiceMetricName, float | None],
    replay: Mapping[VoiceMetricName, float | None],
) -> tuple[VoiceDelta, ...]:
    return tuple(_delta(n, original.get(n), replay.get(n)) for n in names)


def compare_calls(original: VoiceTimeline, replay: VoiceTimeline) -> VoiceComparison:
    """Every voice metric of both calls; turns paired by their turn index."""
    first, second = measure_call(original), measure_call(replay)
    call_original = _call_values(first)
    by_turn_original = {t.turn: t for t in first.turns}
    by_turn_replay = {t.turn: t for t in second.turns}
    turns = tuple(
        VoiceTurnDeltas(
            turn + 1,
            _all(
                TURN_VOICE_METRICS,
                _turn_values(by_turn_original.get(turn)),
                _turn_values(by_turn_replay.get(turn)),
            ),
        )
        for turn in sorted(set(by_turn_original) | set(by_turn_replay))
    )
    return VoiceComparison(
        original_source=first.source,
        replay_source=second.source,
        replay_estimated=second.estimated,
        call=_all(tuple(call_original), call_original, _call_values(second)),
        turns=turns,
        original_end_reason=first.end_reason_bucket.value if first.end_reason_bucket else None,
        replay_end_reason=second.end_reason_bucket.value if second.end_reason_bucket else None,
    )
