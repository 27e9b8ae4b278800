"""Voice metrics of one call, per turn and for the whole call, from its `VoiceTimeline`.

Pure: the same function measures the original call and its replay. Each definition, with
its formula, is in docs/voice-metrics.md; the names here are the ones used there.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from otel_replay.voice.end_reasons import EndReasonBucket, bucket_end_reason
from otel_replay.voice.timeline import Speaker, Utterance, VoiceTimeline

# A word: letters or digits, with inner apostrophes ("it's" is one word, "14°C" two).
_WORD = re.compile(r"\w+(?:['’]\w+)*")
MIN_SPEECH_MS = 100.0  # shorter utterances are left out of words per minute
MAX_WORDS_PER_MINUTE = 300.0  # faster than speech: a timing error, reported as the cap


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def words_per_minute(utterances: Sequence[Utterance]) -> float | None:
    """Σ words / Σ spoken minutes over the utterances spoken for at least 100 ms."""
    words = 0
    spoken = 0.0
    for utterance in utterances:
        ms = utterance.spoken_ms
        if ms is None or ms < MIN_SPEECH_MS:
            continue
        words += count_words(utterance.text)
        spoken += ms
    if spoken <= 0:
        return None
    return min(words / (spoken / 60000.0), MAX_WORDS_PER_MINUTE)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest rank: the value at position ceil(p/100 * n) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class TurnVoiceMetrics:
    """One exchange: the user's utterances and the agent's answer to them.

    `turn` is the conversation's 0-based turn (the user utterances' own, else the exchange's
    position); the greeting (agent speech before the user's first words) is no turn.
    """

    turn: int
    agent_latency_ms: float | None
    user_words: int
    agent_words: int
    user_wpm: float | None
    agent_wpm: float | None
    user_interrupted_agent: bool | None
    agent_interrupted_user: bool | None
    agent_stop_latency_ms: float | None


@dataclass(frozen=True)
class CallVoiceMetrics:
    """The call as a whole (see docs/voice-metrics.md for each formula)."""

    source: str
    estimated: bool
    turns: tuple[TurnVoiceMetrics, ...]
    turn_count: int
    agent_latency_ms_mean: float | None
    agent_latency_ms_p50: float | None
    agent_latency_ms_p90: float | None
    agent_wpm: float | None
    user_wpm: float | None
    user_interruptions: int | None
    agent_interruptions: int | None
    agent_stop_latency_ms: float | None
    time_to_first_audio_ms: float | None
    longest_silence_ms: float | None
    talk_ratio: float | None
    end_reason: str | None
    end_reason_bucket: EndReasonBucket | None
    cost_usd: float | None
    duration_ms: float | None


def _in_order(timeline: VoiceTimeline) -> list[Utterance]:
    utterances = list(timeline.utterances)
    if all(u.timed for u in utterances):
        return sorted(utterances, key=lambda u: u.start_ms or 0.0)
    return utterances


def _overlaps_next(first: Utterance, then: Utterance) -> bool:
    """Whether `then` starts before `first` ends."""
    return first.end_ms is not None and then.start_ms is not None and then.start_ms < first.end_ms


@dataclass(frozen=True)
class _Interruption:
    agent: Utterance
    stop_latency_ms: float | None  # how long the agent kept talking over the user


def _user_interruptions(utterances: Sequence[Utterance]) -> list[_Interruption]:
    """Agent utterances cut off by the user: the next utterance is the user's and starts
    before the agent's ends, or the source flags the utterance as interrupted."""
    found = []
    for index, utterance in enumerate(utterances):
        if utterance.speaker is not Speaker.AGENT:
            continue
        then = utterances[index + 1] if index + 1 < len(utterances) else None
        if then is not None and then.speaker is Speaker.USER and _overlaps_next(utterance, then):
            assert utterance.end_ms is not None and then.start_ms is not None
            found.append(_Interruption(utterance, utterance.end_ms - then.start_ms))
        elif utterance.interrupted:
            found.append(_Interruption(utterance, None))
    return found


def _agent_interruptions(utterances: Sequence[Utterance]) -> list[Utterance]:
    """User utterances the agent talked over: the next utterance is the agent's and starts
    before the user's ends."""
    return [
        u
        for u, then in itertools.pairwise(utterances)
        if u.speaker is Speaker.USER and then.speaker is Speaker.AGENT and _overlaps_next(u, then)
    ]


def _exchanges(utterances: Sequence[Utterance]) -> list[tuple[list[Utterance], list[Utterance]]]:
    """(user run, agent run) pairs in order; agent speech before any user is left out."""
    exchanges: list[tuple[list[Utterance], list[Utterance]]] = []
    for utterance in utterances:
        if utterance.speaker is Speaker.USER:
            if not exchanges or exchanges[-1][1]:
                exchanges.append(([], []))
            exchanges[-1][0].append(utterance)
        elif exchanges:
            exchanges[-1][1].append(utterance)
    return exchanges


def _latency(users: Sequence[Utterance], agents: Sequence[Utterance]) -> float | None:
    """First agent start minus last user end; None when unknown or negative (an overlap)."""
    if not users or not agents:
        return None
    ended, started = users[-1].end_ms, agents[0].start_ms
    if ended is None or started is None or started < ended:
        return None
    return started - ended


def _measure_turns(
    utterances: Sequence[Utterance],
    interruptions: Sequence[_Interruption],
    talked_over: Sequence[Utterance],
    estimated: bool,
) -> tuple[TurnVoiceMetrics, ...]:
    cut = {id(i.agent): i for i in interruptions}
    over = {id(u) for u in talked_over}
    turns = []
    for position, (users, agents) in enumerate(_exchanges(utterances)):
        turn = next((u.turn for u in users if u.turn is not None), position)
        stops = [cut[id(a)].stop_latency_ms for a in agents if id(a) in cut]
        known_stops = [s for s in stops if s is not None]
        turns.append(
            TurnVoiceMetrics(
                turn=turn,
                agent_latency_ms=_latency(users, agents),
                user_words=sum(count_words(u.text) for u in users),
                agent_words=sum(count_words(a.text) for a in agents),
                user_wpm=words_per_minute(users),
                agent_wpm=None if estimated else words_per_minute(agents),
                user_interrupted_agent=None if estimated else bool(stops),
                agent_interrupted_user=None if estimated else any(id(u) in over for u in users),
                agent_stop_latency_ms=None if estimated or not known_stops else max(known_stops),
            )
        )
    return tuple(turns)


def _merged_speech(utterances: Sequence[Utterance]) -> list[tuple[float, float]]:
    intervals = sorted(
        (u.start_ms, u.end_ms)
        for u in utterances
        if u.start_ms is not None and u.end_ms is not None
    )
    merged: list[tuple[float, float]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _longest_silence(utterances: Sequence[Utterance]) -> float | None:
    """The longest gap between two stretches of speech (either side), once speech began."""
    merged = _merged_speech(utterances)
    if len(merged) < 2:
        return 0.0 if merged else None
    return max(b[0] - a[1] for a, b in itertools.pairwise(merged))


def _talk_ms(utterances: Sequence[Utterance], speaker: Speaker) -> float | None:
    spoken = [u.spoken_ms for u in utterances if u.speaker is speaker]
    known = [s for s in spoken if s is not None]
    return sum(known) if known else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def measure_call(timeline: VoiceTimeline) -> CallVoiceMetrics:
    """Every voice metric of the call; unknown ones (no timing, or not measurable in an
    estimated timeline) are None."""
    utterances = _in_order(timeline)
    estimated = timeline.estimated
    interruptions = _user_interruptions(utterances)
    talked_over = _agent_interruptions(utterances)
    turns = _measure_turns(utterances, interruptions, talked_over, estimated)
    latencies = [t.agent_latency_ms for t in turns if t.agent_latency_ms is not None]
    stops = [i.stop_latency_ms for i in interruptions if i.stop_latency_ms is not None]
    agents = [u for u in utterances if u.speaker is Speaker.AGENT]
    first_agent = next((a.start_ms for a in agents if a.start_ms is not None), None)
    agent_talk = _talk_ms(utterances, Speaker.AGENT)
    user_talk = _talk_ms(utterances, Speaker.USER)
    agent_runs = sum(
        1
        for index, u in enumerate(utterances)
        if u.speaker is Speaker.AGENT
        and (index == 0 or utterances[index - 1].speaker is not Speaker.AGENT)
    )
    return CallVoiceMetrics(
        source=timeline.source,
        estimated=estimated,
        turns=turns,
        turn_count=agent_runs,
        agent_latency_ms_mean=_mean(latencies),
        agent_latency_ms_p50=percentile(latencies, 50),
        agent_latency_ms_p90=percentile(latencies, 90),
        agent_wpm=None if estimated else words_per_minute(agents),
        user_wpm=words_per_minute([u for u in utterances if u.speaker is Speaker.USER]),
        user_interruptions=None if estimated else len(interruptions),
        agent_interruptions=None if estimated else len(talked_over),
        agent_stop_latency_ms=None if estimated else _mean(stops),
        time_to_first_audio_ms=first_agent,
        longest_silence_ms=_longest_silence(utterances),
        talk_ratio=(
            agent_talk / user_talk
            if agent_talk is not None and user_talk is not None and user_talk > 0
            else None
        ),
        end_reason=timeline.end_reason,
        end_reason_bucket=bucket_end_reason(timeline.end_reason),
        cost_usd=timeline.cost_usd,
        duration_ms=timeline.duration_ms,
    )
