"""The audio tier: a scenario replayed into a local Pipecat agent as sound, measured from sound.

Each recorded user turn is played to the agent: the caller's own track cut at the recorded
offsets when the call names one on this machine (`voice.call.recording.user_url`, a path or
file: URL, else the caller's channel of `voice.call.recording.stereo_url`), else the
recorded text spoken by the offline voice. Turns go one after the other (each when the agent
has answered the previous one), or, with `timeline`, at their recorded offsets, so that a
recorded barge-in is played as one. The agent's answer is heard
back (speech detection, then recognition), so latency, words per minute and interruptions
come from the audio. The result carries a report: the transcript and voice metrics beside
the original's, and both calls' audio.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from otel_replay.audio.channels import caller_track
from otel_replay.audio.hearing import HeardCall, hear_call
from otel_replay.audio.pcm import PcmAudio, numpy_module, read_wav, resample, write_wav
from otel_replay.audio.pipecat_agent import DrivenCall, UserSpeech, drive_pipecat_agent
from otel_replay.audio.recording import CallRecording, read_call_recording
from otel_replay.audio.sides import ReplayAudio, build_audio_section, with_audio
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.audio.transcribe import Transcriber
from otel_replay.core.records import Span
from otel_replay.core.runs import ReplayedTurn, ReplayRun, RunStatus, TurnSide
from otel_replay.report import build_report
from otel_replay.report.model import Report
from otel_replay.report.voice import voice_section
from otel_replay.scenario.model import Scenario
from otel_replay.voice.compare import compare_calls
from otel_replay.voice.metrics import CallVoiceMetrics, measure_call
from otel_replay.voice.spans import timeline_from_spans

# Kept either side of a user utterance cut from the caller's track.
CUT_PAD_SECONDS = 0.15


@dataclass(frozen=True)
class AudioReplay:
    """One scenario replayed as sound: what was heard, its metrics, the files, the report."""

    scenario: str
    heard: HeardCall
    metrics: CallVoiceMetrics
    user_audio: str  # "recording" (the caller's track) or "synthesis"
    call_wav: Path
    report: Report


def _local_path(location: str | None) -> Path | None:
    if not location:
        return None
    parts = urlsplit(location)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme == "":
        path = Path(location)
    else:
        return None  # a URL on the platform: not fetched, the tier runs offline
    return path if path.is_file() else None


def user_speech(
    scenario: Scenario,
    recording: CallRecording | None,
    synthesizer: Synthesizer,
    *,
    timeline: bool = False,
) -> tuple[list[UserSpeech], str]:
    """The user's turns as sound, and where it came from (recording or synthesis)."""
    track = _caller_track(recording)
    turns: list[UserSpeech] = []
    cut_all = track is not None and recording is not None
    for position, turn in enumerate(scenario.turns):
        speech = (
            recording.turns[position] if recording and position < len(recording.turns) else None
        )
        at = None
        if timeline and speech is not None and speech.user_start_ms is not None:
            # A cut starts its padding early, so that the words land on the recorded offset.
            pad = CUT_PAD_SECONDS if track is not None else 0.0
            at = max(0.0, speech.user_start_ms / 1000 - pad)
        audio: PcmAudio | None = None
        if track is not None and speech is not None and speech.user_start_ms is not None:
            end = speech.user_end_ms if speech.user_end_ms is not None else speech.agent_start_ms
            if end is not None:
                audio = track.cut(
                    speech.user_start_ms / 1000 - CUT_PAD_SECONDS, end / 1000 + CUT_PAD_SECONDS
                )
        if audio is None:
            cut_all = False
            audio = synthesizer.synthesize(turn.user or "")
        turns.append(UserSpeech(audio=audio, text=turn.user, at_seconds=at))
    return turns, "recording" if cut_all else "synthesis"


def _caller_track(recording: CallRecording | None) -> PcmAudio | None:
    """The caller's own track on this machine: the call's caller recording, else the
    caller's channel of its stereo recording (`audio.channels` says which); None when
    neither is a local file."""
    if recording is None:
        return None
    user_path = _local_path(recording.user)
    if user_path is not None:
        return read_wav(user_path)
    stereo_path = _local_path(recording.stereo)
    if stereo_path is None:
        return None
    spans = [
        (t.user_start_ms, t.user_end_ms)
        for t in recording.turns
        if t.user_start_ms is not None and t.user_end_ms is not None
    ]
    return caller_track(stereo_path, recording.platform, spans)


def _mixed(call: DrivenCall) -> PcmAudio:
    np = numpy_module()

    rate = call.agent_track.sample_rate
    user = np.frombuffer(resample(call.user_track, rate).samples, dtype="<i2").astype(np.int32)
    agent = np.frombuffer(call.agent_track.samples, dtype="<i2").astype(np.int32)
    length = max(len(user), len(agent))
    mixed = np.zeros(length, dtype=np.int32)
    mixed[: len(user)] += user
    mixed[: len(agent)] += agent
    return PcmAudio(np.clip(mixed, -32768, 32767).astype("<i2").tobytes(), rate)


def _run(scenario: Scenario, agent: str, heard: HeardCall, started: int, ended: int) -> ReplayRun:
    by_number = {t.number: t for t in heard.turns}
    turns = []
    for position, turn in enumerate(scenario.turns):
        said = by_number.get(position + 1)
        turns.append(
            ReplayedTurn(
                index=turn.index,
                user=turn.user,
                original=TurnSide(assistant=turn.assistant),
                replayed=TurnSide(assistant=said.agent_text if said else None),
                original_trace_id=turn.trace_id,
                original_span_id=turn.span_id,
                note="heard from the agent's audio" if said and said.agent_text else None,
            )
        )
    run_id = f"audio-{uuid.uuid4().hex[:12]}"
    return ReplayRun(
        run_id=run_id,
        scenario=scenario.name,
        agent=agent,
        original_session_id=scenario.source.session_id,
        session_id=run_id,
        status=RunStatus.OK,
        started_unix_nano=started,
        ended_unix_nano=ended,
        trace_ids=[],
        options={"audio": True},
        turns=turns,
    )


def replay_with_audio(
    scenario: Scenario,
    create_pipeline: Callable[[Any], Any],
    original_spans: Sequence[Span],
    folder: Path,
    *,
    agent: str = "pipecat",
    report_base: Path | None = None,
    synthesizer: Synthesizer | None = None,
    transcriber: Transcriber | None = None,
    timeline: bool = False,
    answer_timeout: float = 20.0,
) -> AudioReplay:
    """Replay the scenario into the agent as sound and measure it; the call's audio goes to
    `folder/<run id>.wav` (its path in the report relative to `report_base`)."""
    voice = synthesizer or Synthesizer()
    ears = transcriber or Transcriber()
    recording = read_call_recording(original_spans)
    turns, source = user_speech(scenario, recording, voice, timeline=timeline)
    started = time.time_ns()
    voice_spec = scenario.agent.voice
    greets = voice_spec is not None and voice_spec.first_speaker == "agent"
    call = asyncio.run(
        drive_pipecat_agent(
            create_pipeline,
            turns,
            answer_timeout=answer_timeout,
            greeting_seconds=answer_timeout if greets else 0.5,
        )
    )
    ended = time.time_ns()
    heard = hear_call(call, [t.text for t in turns], ears)
    run = _run(scenario, agent, heard, started, ended)
    call_wav = write_wav(folder / f"{run.run_id}.wav", _mixed(call))
    clips = {
        t.number: (t.user_start_ms / 1000, (t.agent_end_ms or t.user_end_ms) / 1000)
        for t in heard.turns
    }
    section = build_audio_section(
        [t.index + 1 for t in scenario.turns],
        recording,
        ReplayAudio(call_wav, clips),
        base=report_base or folder,
        replay_source="agent",
    )
    report = build_report(run, original_spans, [])
    original = timeline_from_spans(original_spans)
    if original is not None:
        report = report.model_copy(
            update={"voice": voice_section(compare_calls(original, heard.timeline))}
        )
    return AudioReplay(
        scenario=scenario.name,
        heard=heard,
        metrics=measure_call(heard.timeline),
        user_audio=source,
        call_wav=call_wav,
        report=with_audio(report, section),
    )
