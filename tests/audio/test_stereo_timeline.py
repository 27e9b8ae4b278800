"""The caller's audio from one channel of a stereo call recording (the platform's convention,
checked against the call's own timings), and `replay --audio --audio-timing timeline`: the
user's turns played at their recorded offsets, the second one over the agent's answer as on
the recorded call."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from otel_replay.audio.channels import LEFT, RIGHT, caller_track, user_channel
from otel_replay.audio.pcm import PcmAudio, concatenate, numpy_module, silence
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.cli.main import cli
from otel_replay.importer import import_data
from otel_replay.testing import FakeOpenAIServer, ScriptedReply, message_text
from tests.audio.calls import CALL_ID, GREETING, SHIPPING, USER_LINES, vapi_call
from tests.conftest import opened_store

pytestmark = [
    pytest.mark.filterwarnings(r"ignore:.*is deprecated since [0-9.]+ and will be removed"),
    pytest.mark.filterwarnings("ignore:'audioop' is deprecated:DeprecationWarning"),
]

AGENT = "tests.audio.voice_agent:create_pipeline"
RATE = 16_000


def _write_stereo(path: Path, left: PcmAudio, right: PcmAudio) -> Path:
    np = numpy_module()
    a = np.frombuffer(left.samples, dtype="<i2")
    b = np.frombuffer(right.samples, dtype="<i2")
    frames = np.zeros((max(len(a), len(b)), 2), dtype="<i2")
    frames[: len(a), 0], frames[: len(b), 1] = a, b
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(left.sample_rate)
        out.writeframes(frames.tobytes())
    return path


def _tone_at(spans_s: list[tuple[float, float]], seconds: float) -> PcmAudio:
    """A 440 Hz tone during each span, silence elsewhere."""
    np = numpy_module()
    samples = np.zeros(round(seconds * RATE), dtype=np.float64)
    for start, end in spans_s:
        n = np.arange(round(start * RATE), round(end * RATE))
        samples[n] = 8000 * np.sin(2 * np.pi * 440 * n / RATE)
    return PcmAudio(samples.astype("<i2").tobytes(), RATE)


def test_the_callers_channel_is_the_convention_unless_the_timings_say_otherwise(
    tmp_path: Path,
) -> None:
    user, agent = [(0.5, 1.5), (4.0, 5.0)], [(2.0, 3.5)]
    usual = _write_stereo(tmp_path / "usual.wav", _tone_at(user, 6), _tone_at(agent, 6))
    swapped = _write_stereo(tmp_path / "swapped.wav", _tone_at(agent, 6), _tone_at(user, 6))
    user_ms = [(500, 1500), (4000, 5000)]

    assert user_channel(usual, "vapi", user_ms) == LEFT
    assert user_channel(swapped, "retell", user_ms) == RIGHT  # the sound says so
    assert user_channel(swapped, "vapi", []) == LEFT  # no timings: the convention
    track = caller_track(swapped, "vapi", user_ms)
    assert track.samples == _tone_at(user, 6).samples


def test_audio_timing_needs_a_pipecat_agent(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "replay",
            CALL_ID,
            "--agent",
            "tests.calls.agents:answer",
            "--audio-timing",
            "timeline",
            "--store",
            f"sqlite:///{tmp_path / 'store.db'}",
        ],
    )
    assert result.exit_code == 2
    assert "--audio-timing needs --audio" in result.output


def _script(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ScriptedReply:
    users = [message_text(m).lower() for m in messages if m.get("role") == "user"]
    return ScriptedReply(text=SHIPPING if users and "order" in users[-1] else GREETING)


def test_timeline_plays_the_callers_channel_at_its_recorded_offsets(
    synthesizer: Synthesizer, tmp_path: Path
) -> None:
    rate = synthesizer.sample_rate
    first, second = (synthesizer.synthesize(line) for line in USER_LINES)
    answer = synthesizer.synthesize(GREETING)
    # The caller speaks at 0.5 s, then again 1.5 s after the end of the first line: over
    # the recorded answer (which starts 0.7 s after that line).
    first_end = 0.5 + first.duration_seconds
    second_start = first_end + 1.5
    offsets = [
        (500, round(first_end * 1000)),
        (round(second_start * 1000), round((second_start + second.duration_seconds) * 1000)),
    ]
    caller = concatenate(
        [silence(0.5, rate), first, silence(1.5, rate), second, silence(1.0, rate)], rate
    )
    agent = concatenate([silence(first_end + 0.7, rate), answer], rate)
    stereo = _write_stereo(tmp_path / "call-stereo.wav", caller, agent)
    report = vapi_call(stereo, offsets)
    report["message"]["artifact"]["recording"] = {"stereoUrl": str(stereo)}
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    for store in opened_store(store_url):
        import_data(store, [("call.json", json.dumps(report).encode())])

    with FakeOpenAIServer(_script) as model, pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICE_AGENT_LLM_URL", model.base_url)
        result = CliRunner().invoke(
            cli,
            [
                "replay",
                CALL_ID,
                "--agent",
                AGENT,
                "--audio",
                "--audio-timing",
                "timeline",
                "--store",
                store_url,
                "--report",
                str(tmp_path / "report.md"),
                "--json",
            ],
        )

    assert result.exit_code == 0, result.output
    (printed,) = json.loads(result.stdout)
    assert printed["user_audio"] == "recording"  # cut from the stereo file's left channel
    assert Path(printed["call_audio"]).parent == tmp_path / "report-audio"
    starts = [turn["user_start_ms"] for turn in printed["turns"]]
    assert len(starts) == 2
    # Each turn begins where the caller began on the recorded call, whatever the agent did.
    for heard, (recorded, _) in zip(starts, offsets, strict=True):
        assert heard == pytest.approx(recorded, abs=300)
