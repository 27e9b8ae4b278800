"""The audio tier end to end: a two-turn Vapi call (imported from its end-of-call report, its
caller track a WAV on disk) replayed as sound into a real Pipecat agent (Silero, Whisper,
an OpenAI-compatible fake model, Piper), heard back and measured from the sound."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_replay.app.conversations import session_scenario
from otel_replay.audio.pcm import PcmAudio, concatenate, read_wav, silence, write_wav
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.audio.tier import AudioReplay, replay_with_audio
from otel_replay.importer import import_data
from otel_replay.testing import FakeOpenAIServer, ScriptedReply, message_text
from tests.audio.voice_agent import create_pipeline
from tests.conftest import opened_store

# Pipecat 1.14 warns about its own deprecated names (and imports audioop) when imported.
pytestmark = [
    pytest.mark.filterwarnings(r"ignore:.*is deprecated since [0-9.]+ and will be removed"),
    pytest.mark.filterwarnings("ignore:'audioop' is deprecated:DeprecationWarning"),
]

CALL_ID = "call-audio-two-turns"
USER_LINES = ("Hello.", "Where is my order?")
GREETING = "Hello, how can I help you?"
SHIPPING = "Your order ships on Friday."
T0_MS = 1_793_613_600_000


def _script(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ScriptedReply:
    users = [message_text(m).lower() for m in messages if m.get("role") == "user"]
    return ScriptedReply(text=SHIPPING if users and "order" in users[-1] else GREETING)


def _vapi_call(track: Path, offsets: list[tuple[int, int]]) -> dict[str, Any]:
    """An end-of-call report whose caller spoke USER_LINES at `offsets` (ms) of `track`."""
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "message": "You are a shop's phone assistant.",
            "time": T0_MS,
            "secondsFromStart": 0,
        },
    ]
    for line, (start, end), reply in zip(USER_LINES, offsets, (GREETING, SHIPPING), strict=True):
        messages.append(
            {
                "role": "user",
                "message": line,
                "time": T0_MS + start,
                "endTime": T0_MS + end,
                "secondsFromStart": start / 1000,
                "duration": end - start,
            }
        )
        messages.append(
            {
                "role": "bot",
                "message": reply,
                "time": T0_MS + end + 700,
                "endTime": T0_MS + end + 2200,
                "secondsFromStart": (end + 700) / 1000,
                "duration": 1500,
            }
        )
    return {
        "message": {
            "type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "startedAt": "2026-11-02T10:00:00.000Z",
            "endedAt": "2026-11-02T10:00:12.000Z",
            "call": {"id": CALL_ID, "type": "webCall", "status": "queued"},
            "artifact": {
                "messages": messages,
                "recording": {"mono": {"customerUrl": str(track)}},
            },
        }
    }


@pytest.fixture(scope="module")
def replayed(
    synthesizer: Synthesizer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AudioReplay, FakeOpenAIServer]]:
    """One replay for every test here: it takes real time (the agent speaks at real pace)."""
    tmp_path = tmp_path_factory.mktemp("audio-tier")
    rate = synthesizer.sample_rate
    pieces: list[PcmAudio] = [silence(0.5, rate)]
    offsets, at = [], 0.5
    for line in USER_LINES:
        speech = synthesizer.synthesize(line)
        offsets.append((round(at * 1000), round((at + speech.duration_seconds) * 1000)))
        pieces += [speech, silence(3.0, rate)]
        at += speech.duration_seconds + 3.0
    track = write_wav(tmp_path / "caller.wav", concatenate(pieces, rate))
    call = json.dumps(_vapi_call(track, offsets)).encode()
    for store in opened_store(f"sqlite:///{tmp_path / 'store.db'}"):
        import_data(store, [("call.json", call)])
        scenario = session_scenario(store, CALL_ID)
        spans = store.get_spans(scenario.source.trace_ids)
    with FakeOpenAIServer(_script) as model, pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICE_AGENT_LLM_URL", model.base_url)
        result = replay_with_audio(
            scenario, create_pipeline, spans, tmp_path / "audio", synthesizer=synthesizer
        )
        yield result, model


def _words(text: str | None) -> str:
    return re.sub(r"[^a-z ]", "", (text or "").lower())


def test_the_agent_hears_the_callers_track_and_is_heard_back(
    replayed: tuple[AudioReplay, FakeOpenAIServer],
) -> None:
    result, model = replayed
    assert result.user_audio == "recording"
    # The agent's own speech recognition heard the caller's track, cut at the recorded turns.
    asked = [
        _words(message_text(m))
        for exchange in model.exchanges
        for m in exchange.body["messages"][-1:]
        if m.get("role") == "user"
    ]
    assert any(re.search(r"where.*order", text) for text in asked), asked
    heard = result.heard.turns
    assert [t.number for t in heard] == [1, 2]
    assert "how can i help" in _words(heard[0].agent_text)
    assert "friday" in _words(heard[1].agent_text)


def test_voice_metrics_are_measured_from_the_sound(
    replayed: tuple[AudioReplay, FakeOpenAIServer],
) -> None:
    result, _ = replayed
    heard, metrics = result.heard.turns, result.metrics
    latencies = [t.agent_start_ms - t.user_end_ms for t in heard if t.agent_start_ms]
    assert len(latencies) == 2 and all(value > 0 for value in latencies)
    assert metrics.agent_latency_ms_mean == pytest.approx(sum(latencies) / 2)
    assert metrics.agent_wpm is not None and 60 < metrics.agent_wpm < 300
    assert metrics.user_interruptions == 0 and metrics.agent_interruptions == 0
    assert metrics.turn_count == 2
    # Each side spoke for as long as its audio lasted (Piper speaks ~2 words a second).
    first = heard[0]
    assert first.agent_end_ms is not None and first.agent_start_ms is not None
    assert 800 < first.agent_end_ms - first.agent_start_ms < 4000


def test_the_report_holds_both_calls_audio_and_voice_metrics(
    replayed: tuple[AudioReplay, FakeOpenAIServer],
) -> None:
    result, _ = replayed
    report = result.report
    audio, voice = report.audio, report.voice
    assert audio is not None and audio.replay_source == "agent"
    assert audio.original is not None and audio.original.src.endswith("caller.wav")
    assert audio.replay is not None and audio.replay.src == result.call_wav.name
    call = read_wav(result.call_wav)
    assert call.duration_seconds > 5
    assert [t.number for t in audio.turns] == [1, 2]
    assert all(t.replay is not None for t in audio.turns)
    assert voice is not None and voice.replay_source == "audio_replay"
    texts = [t.replay.assistant if t.replay else None for t in report.transcript]
    assert "friday" in _words(texts[1])
