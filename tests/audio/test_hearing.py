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
    # Piper's timing varies from run to run: the barge-in is placed by the answer's length.
    answer = synthesizer.synthesize("Your order ships on Friday morning.").duration_seconds
    asked = synthesizer.synthesize("Where is my order?").duration_seconds
    barge_in = 2.4 + answer - 0.6  # 0.6 s before the answer ends
    user_lines = [(0.5, "Where is my order?"), (barge_in, "Thanks, bye.")]
    agent_lines = [(2.4, "Your order ships on Friday morning."), (barge_in + 3.0, "Goodbye.")]
    seconds = barge_in + 5.0
    user = _track(synthesizer, user_lines, seconds)
    agent = _track(synthesizer, agent_lines, seconds)
    bye = synthesizer.synthesize("Thanks, bye.").duration_seconds
    call = DrivenCall([(0.5, 0.5 + asked), (barge_in, barge_in + bye)], user, agent, seconds)

    heard = hear_call(call, [text for _, text in user_lines], Transcriber())

    first, second = heard.turns
    assert heard.greeting is None
    assert "friday" in (first.agent_text or "").lower()
    assert "goodbye" in (second.agent_text or "").lower()
    assert first.agent_start_ms == pytest.approx(2400, abs=120)
    # The agent's first answer runs past the user's second turn: a barge-in.
    assert first.agent_end_ms is not None and first.agent_end_ms > barge_in * 1000
    metrics = measure_call(heard.timeline)
    assert metrics.user_interruptions == 1
    assert metrics.agent_interruptions == 0
    stop = first.agent_end_ms - second.user_start_ms
    assert metrics.agent_stop_latency_ms == pytest.approx(stop)
    assert 300 < stop < 800
    assert metrics.agent_latency_ms_p50 is not None
    assert metrics.turn_count == 2
