"""The audio tier end to end through `otel-replay replay --audio`: a two-turn Vapi call (its
caller track a WAV on disk) replayed as sound into a real Pipecat agent (Silero, Whisper, an
OpenAI-compatible fake model, Piper), heard back and measured from the sound."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from otel_replay.audio.pcm import read_wav
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.cli.main import cli
from otel_replay.report.model import Report, ReportDocument
from otel_replay.testing import FakeOpenAIServer, ScriptedReply, message_text
from otel_replay.voice.metrics import count_words
from tests.audio.calls import CALL_ID, GREETING, SHIPPING, store_call

# Pipecat 1.14 warns about its own deprecated names (and imports audioop) when imported.
pytestmark = [
    pytest.mark.filterwarnings(r"ignore:.*is deprecated since [0-9.]+ and will be removed"),
    pytest.mark.filterwarnings("ignore:'audioop' is deprecated:DeprecationWarning"),
]

AGENT = "tests.audio.voice_agent:create_pipeline"


def _script(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ScriptedReply:
    users = [message_text(m).lower() for m in messages if m.get("role") == "user"]
    return ScriptedReply(text=SHIPPING if users and "order" in users[-1] else GREETING)


@dataclass(frozen=True)
class Replayed:
    printed: dict[str, Any]  # the command's --json output for the one scenario
    report: Report
    report_path: Path
    asked: list[str]  # the last user message of each request the agent's model got


@pytest.fixture(scope="module")
def replayed(
    synthesizer: Synthesizer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replayed]:
    """One replay for every test here: it takes real time (the agent speaks at real pace)."""
    folder = tmp_path_factory.mktemp("audio-tier")
    store_url = store_call(folder, synthesizer)
    report_path = folder / "report.json"
    with FakeOpenAIServer(_script) as model, pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICE_AGENT_LLM_URL", model.base_url)
        args = ["replay", CALL_ID, "--agent", AGENT, "--audio", "--store", store_url]
        result = CliRunner().invoke(cli, [*args, "--report", str(report_path), "--json"])
        asked = [
            _words(message_text(exchange.body["messages"][-1])) for exchange in model.exchanges
        ]
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    document = ReportDocument.model_validate_json(report_path.read_text(encoding="utf-8"))
    yield Replayed(printed[0], document.reports[0], report_path, asked)


def _words(text: str | None) -> str:
    return re.sub(r"[^a-z ]", "", (text or "").lower())


def test_the_agent_hears_the_callers_track_and_is_heard_back(replayed: Replayed) -> None:
    assert replayed.printed["user_audio"] == "recording"
    # The agent's own speech recognition heard the caller's track, cut at the recorded turns.
    assert any(re.search(r"where.*order", text) for text in replayed.asked), replayed.asked
    heard = replayed.printed["turns"]
    assert [t["number"] for t in heard] == [1, 2]
    assert "help" in _words(heard[0]["agent_text"])
    assert "friday" in _words(heard[1]["agent_text"])


def test_voice_metrics_are_measured_from_the_sound(replayed: Replayed) -> None:
    heard, metrics = replayed.printed["turns"], replayed.printed["metrics"]
    latencies = [t["agent_start_ms"] - t["user_end_ms"] for t in heard if t["agent_start_ms"]]
    assert len(latencies) == 2 and all(value > 0 for value in latencies)
    assert metrics["agent_latency_ms_mean"] == pytest.approx(sum(latencies) / 2)
    words = sum(count_words(t["agent_text"]) for t in heard)
    minutes = sum(t["agent_end_ms"] - t["agent_start_ms"] for t in heard) / 60_000
    assert words >= 8 and metrics["agent_wpm"] == pytest.approx(min(300, words / minutes))
    assert metrics["user_interruptions"] == 0 and metrics["agent_interruptions"] == 0
    assert metrics["turn_count"] == 2
    # Each answer lasted as long as its audio did: a sentence of Piper speech, not a click.
    assert all(t["agent_end_ms"] - t["agent_start_ms"] > 600 for t in heard)


def test_the_report_holds_both_calls_audio_and_voice_metrics(replayed: Replayed) -> None:
    report = replayed.report
    audio, voice = report.audio, report.voice
    assert audio is not None and audio.replay_source == "agent"
    assert audio.original is not None and audio.original.src.endswith("caller.wav")
    assert audio.replay is not None and audio.replay.src.startswith("report-audio/")
    call = read_wav(replayed.report_path.parent / audio.replay.src)
    assert call.duration_seconds > 5
    assert replayed.printed["call_audio"].endswith(Path(audio.replay.src).name)
    assert [t.number for t in audio.turns] == [1, 2]
    assert all(t.replay is not None and t.original is not None for t in audio.turns)
    assert voice is not None and voice.replay_source == "audio_replay"
    texts = [t.replay.assistant if t.replay else None for t in report.transcript]
    assert "friday" in _words(texts[1])
