"""Giving replay reports their audio: the use case behind `replay --audio` for text agents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from otel_replay.audio.recording import read_call_recording
from otel_replay.audio.sides import (
    audio_folder,
    build_audio_section,
    synthesize_replies,
    with_audio,
)
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.core.runs import ReplayRun
from otel_replay.report.model import Report
from otel_replay.store.base import SpanStore


def attach_synthesized_audio(
    store: SpanStore,
    runs: Sequence[ReplayRun],
    reports: Sequence[Report],
    report_path: Path,
    synthesizer: Synthesizer | None = None,
) -> list[Report]:
    """Each run's report with the original recording beside the replayed replies spoken by
    the offline voice (one WAV per run in the report's audio folder)."""
    voice = synthesizer or Synthesizer()
    folder = audio_folder(report_path)
    out = []
    for run, report in zip(runs, reports, strict=True):
        original_trace_ids = list(dict.fromkeys(turn.original_trace_id for turn in run.turns))
        recording = read_call_recording(store.get_spans(original_trace_ids))
        replay = synthesize_replies(report, voice, folder / f"{run.run_id}.wav")
        section = build_audio_section(
            [turn.number for turn in report.transcript],
            recording,
            replay,
            base=report_path.parent,
            replay_source="synthesis",
            voice=voice.voice_name,
        )
        out.append(with_audio(report, section))
    return out
