"""Hearing a call: speech found in each track, each agent stretch given to its turn, the
agent's words transcribed, and the voice metrics measured on that timeline (a barge-in
heard as one)."""

from __future__ import annotations

import pytest

from otel_replay.audio.hearing import hear_call
from otel_replay.audio.pcm import PcmAudio, concatenate, silence
from otel_replay.audio.pipecat_agent import DrivenCall
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.audio.transcribe import Transcriber
from otel_replay.voice.metrics import measure_call

RATE = 16_000


def _track(synthesizer: Synthesizer, placed: list[tuple[float, str]], seconds: float) -> PcmAudio:
    """Speech placed at given offsets on a silent track of `seconds`."""
    pieces: list[PcmAudio] = []
    at = 0.0
    for start, text in placed:
        speech = synthesizer.synthesize(text)
        pieces += [silence(start - at, RATE), speech]
        at = start + speech.duration_seconds
    pieces.append(silence(max(0.0, seconds - at), RATE))
    return concatenate(pieces, RATE)


def test_a_user_talking_over_the_agent_is_heard_as_an_interruption(
    synthesizer: Synthesizer,
) -> None:
    user_lines = [(0.5, "Where is my order?"), (4.2, "Thanks, bye.")]
    agent_lines = [(2.4, "Your order ships on Friday morning."), (7.0, "Goodbye.")]
    user = _track(synthesizer, user_lines, 9.0)
    agent = _track(synthesizer, agent_lines, 9.0)
    played = [(0.5, 0.5 + synthesizer.synthesize(t).duration_seconds) for _, t in user_lines[:1]]
    played.append((4.2, 4.2 + synthesizer.synthesize(user_lines[1][1]).duration_seconds))
    call = DrivenCall(played, user, agent, 9.0)

    heard = hear_call(call, [text for _, text in user_lines], Transcriber())

    first, second = heard.turns
    assert heard.greeting is None
    assert "friday" in (first.agent_text or "").lower()
    assert "goodbye" in (second.agent_text or "").lower()
    assert first.agent_start_ms == pytest.approx(2400, abs=120)
    # The agent's first answer runs past 4.2 s, where the user starts again: a barge-in.
    assert first.agent_end_ms is not None and first.agent_end_ms > 4200
    metrics = measure_call(heard.timeline)
    assert metrics.user_interruptions == 1
    assert metrics.agent_interruptions == 0
    assert metrics.agent_stop_latency_ms == pytest.approx(first.agent_end_ms - 4200, abs=150)
    assert metrics.agent_latency_ms_p50 is not None
    assert metrics.turn_count == 2
