"""What a driven call sounded like: speech found in each track, the agent's words transcribed,
laid out as the voice timeline every voice metric reads (source `audio_replay`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from otel_replay.audio.pipecat_agent import DrivenCall
from otel_replay.audio.speech import Stretch, find_speech
from otel_replay.audio.transcribe import Transcriber
from otel_replay.voice.timeline import Speaker, Utterance, VoiceTimeline

# Kept around an utterance when it is cut out for the recogniser.
PAD_SECONDS = 0.15


@dataclass(frozen=True)
class HeardTurn:
    """One exchange as heard: `number` is 1-based; times are ms from the call's start; the
    agent side is None when the agent said nothing before the next user turn."""

    number: int
    user_text: str | None
    user_start_ms: float
    user_end_ms: float
    agent_text: str | None
    agent_start_ms: float | None
    agent_end_ms: float | None


@dataclass(frozen=True)
class HeardCall:
    greeting: str | None
    turns: list[HeardTurn]
    timeline: VoiceTimeline


def _user_span(call: DrivenCall, played: tuple[float, float]) -> tuple[float, float]:
    """Where the user actually spoke within the stretch their turn played."""
    start, end = played
    found = find_speech(call.user_track.cut(start, end))
    if not found:
        return start, end
    return start + found[0].start, start + found[-1].end


def _words(call: DrivenCall, stretches: Sequence[Stretch], transcriber: Transcriber) -> str:
    clip = call.agent_track.cut(stretches[0].start - PAD_SECONDS, stretches[-1].end + PAD_SECONDS)
    return transcriber.transcribe(clip)


def hear_call(
    call: DrivenCall, user_texts: Sequence[str | None], transcriber: Transcriber
) -> HeardCall:
    """The call's exchanges and timeline: each agent stretch of speech belongs to the last
    user turn that started before it (before the first, it is a greeting)."""
    users = [_user_span(call, played) for played in call.user_played]
    starts = [start for start, _ in users]
    groups: list[list[Stretch]] = [[] for _ in range(len(users) + 1)]  # [0]: the greeting
    for stretch in find_speech(call.agent_track):
        owner = sum(1 for start in starts if start <= stretch.start)
        groups[owner].append(stretch)
    utterances: list[Utterance] = []
    greeting = _words(call, groups[0], transcriber) if groups[0] else None
    if groups[0]:
        utterances.append(
            Utterance(
                Speaker.AGENT, greeting or "", groups[0][0].start * 1000, groups[0][-1].end * 1000
            )
        )
    turns = []
    for index, ((start, end), text) in enumerate(zip(users, user_texts, strict=True)):
        utterances.append(Utterance(Speaker.USER, text or "", start * 1000, end * 1000, turn=index))
        said = groups[index + 1]
        heard = _words(call, said, transcriber) if said else None
        agent_start = said[0].start * 1000 if said else None
        agent_end = said[-1].end * 1000 if said else None
        if said:
            next_user = starts[index + 1] * 1000 if index + 1 < len(starts) else None
            cut = next_user is not None and agent_end is not None and next_user < agent_end
            utterances.append(
                Utterance(
                    Speaker.AGENT, heard or "", agent_start, agent_end, interrupted=cut, turn=index
                )
            )
        turns.append(
            HeardTurn(index + 1, text, start * 1000, end * 1000, heard, agent_start, agent_end)
        )
    timeline = VoiceTimeline(
        source="audio_replay", utterances=tuple(utterances), duration_ms=call.seconds * 1000
    )
    return HeardCall(greeting, turns, timeline)
