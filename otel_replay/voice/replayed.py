"""The timeline of a text replay: the recorded user speech, and the agent's replies placed
where they would have been spoken.

A text replay (a local agent given the transcribed user turns, or a hosted agent through its
text API) has no sound. Its timeline keeps every recorded user utterance, with its length
and the pause before it; each reply starts when the agent produced it (the turn's measured
latency after the user's end) and lasts its words at the original agent's speaking rate.
The timeline is marked `estimated`: `measure_call` leaves the metrics only sound can show
unknown on it.
"""

from __future__ import annotations

from otel_replay.core.runs import ReplayRun
from otel_replay.voice.metrics import count_words, words_per_minute
from otel_replay.voice.timeline import Speaker, Utterance, VoiceTimeline

DEFAULT_WORDS_PER_MINUTE = 150.0  # conversational speech, when the original has no timing
TEXT_REPLAY_SOURCE = "text_replay"


def _spoken_ms(text: str, wpm: float) -> float:
    return count_words(text) / wpm * 60000.0


def estimate_replay_timeline(
    original: VoiceTimeline, run: ReplayRun, cost_usd: float | None = None
) -> VoiceTimeline:
    """The replay's timeline, read against the original call's; `cost_usd`: what a hosted
    platform charged for the replay's requests, when it said."""
    agent_wpm = (
        words_per_minute([u for u in original.utterances if u.speaker is Speaker.AGENT])
        or DEFAULT_WORDS_PER_MINUTE
    )
    user_wpm = (
        words_per_minute([u for u in original.utterances if u.speaker is Speaker.USER])
        or DEFAULT_WORDS_PER_MINUTE
    )
    ordered = sorted((u for u in original.utterances if u.timed), key=lambda u: u.start_ms or 0.0)
    greeting = [u for u in ordered if u.speaker is Speaker.AGENT and u.turn is None]
    utterances: list[Utterance] = list(greeting)
    clock = max((u.end_ms or 0.0 for u in greeting), default=0.0)
    previous_end: dict[int, float] = {}
    last_end = clock
    for u in ordered:  # the pause the user took before each of their utterances
        if u.speaker is Speaker.USER and u.turn is not None and u.turn not in previous_end:
            previous_end[u.turn] = max(0.0, (u.start_ms or 0.0) - last_end)
        last_end = max(last_end, u.end_ms or 0.0)
    user_speech: dict[int, list[Utterance]] = {}
    for u in ordered:
        if u.speaker is Speaker.USER and u.turn is not None:
            user_speech.setdefault(u.turn, []).append(u)
    for turn in sorted(run.turns, key=lambda t: t.index):
        recorded = user_speech.get(turn.index, [])
        if recorded:
            start = clock + previous_end.get(turn.index, 0.0)
            offset = start - (recorded[0].start_ms or 0.0)
            for u in recorded:
                utterances.append(
                    Utterance(
                        Speaker.USER,
                        u.text,
                        (u.start_ms or 0.0) + offset,
                        (u.end_ms or 0.0) + offset,
                        speech_ms=u.speech_ms,
                        turn=turn.index,
                    )
                )
            clock = (recorded[-1].end_ms or 0.0) + offset
        elif turn.user:
            length = _spoken_ms(turn.user, user_wpm)
            utterances.append(
                Utterance(Speaker.USER, turn.user, clock, clock + length, turn=turn.index)
            )
            clock += length
        reply = turn.replayed
        if reply is None or not reply.assistant:
            continue
        start = clock + (reply.latency_ms or 0.0)
        end = start + _spoken_ms(reply.assistant, agent_wpm)
        utterances.append(Utterance(Speaker.AGENT, reply.assistant, start, end, turn=turn.index))
        clock = end
    return VoiceTimeline(
        source=TEXT_REPLAY_SOURCE,
        utterances=tuple(utterances),
        cost_usd=cost_usd,
        duration_ms=clock,
        estimated=True,
    )
