"""The report's audio: the original recording beside the replay's audio, whole and per turn.

The original side is the call's recording (a URL or a file), each turn a stretch of it by
the recorded offsets. The replay side is one WAV file written next to the report: the voice
agent's own output (the audio tier), or, for a text replay, the replayed agent text spoken
by the offline voice, each reply after the other; its turns are stretches of that file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from otel_replay.audio.pcm import PcmAudio, concatenate, silence, write_wav
from otel_replay.audio.recording import CallRecording
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.report.model import AudioClipView, AudioSection, Report, TurnAudioView

# Between two synthesised replies in the replay's audio file.
REPLY_GAP_SECONDS = 0.6


@dataclass(frozen=True)
class ReplayAudio:
    """A written replay audio file and each turn's stretch of it (seconds), by turn number."""

    path: Path
    turns: dict[int, tuple[float, float]]


def audio_folder(report_path: Path) -> Path:
    """Where a report's audio files go: beside it, `<report name>-audio/`."""
    return report_path.parent / f"{report_path.stem}-audio"


def synthesize_replies(report: Report, synthesizer: Synthesizer, path: Path) -> ReplayAudio | None:
    """The replay's replies spoken one after another into a WAV file; None if it has none."""
    rate = synthesizer.sample_rate
    pieces: list[PcmAudio] = []
    turns: dict[int, tuple[float, float]] = {}
    at = 0.0
    for turn in report.transcript:
        text = turn.replay.assistant if turn.replay is not None else None
        if not text:
            continue
        if pieces:
            pieces.append(silence(REPLY_GAP_SECONDS, rate))
            at += REPLY_GAP_SECONDS
        speech = synthesizer.synthesize(text)
        pieces.append(speech)
        turns[turn.number] = (at, at + speech.duration_seconds)
        at += speech.duration_seconds
    if not pieces:
        return None
    write_wav(path, concatenate(pieces, rate))
    return ReplayAudio(path, turns)


def _clip(src: str, start_ms: int | None, end_ms: int | None) -> AudioClipView | None:
    if start_ms is None and end_ms is None:
        return None
    return AudioClipView(
        src=src,
        start_seconds=start_ms / 1000 if start_ms is not None else None,
        end_seconds=end_ms / 1000 if end_ms is not None else None,
    )


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def build_audio_section(
    turn_numbers: Sequence[int],
    recording: CallRecording | None,
    replay: ReplayAudio | None,
    *,
    base: Path,
    replay_source: str,
    voice: str | None = None,
) -> AudioSection:
    """Both sides' audio for a report whose turns are `turn_numbers` (1-based, in order);
    replay file paths become relative to `base`, the report's folder."""
    listening = recording.listening if recording is not None else None
    replay_src = _relative(replay.path, base) if replay is not None else None
    turns = []
    for position, number in enumerate(turn_numbers):
        original = None
        if listening is not None and recording is not None and position < len(recording.turns):
            speech = recording.turns[position]
            original = _clip(listening, speech.start_ms, speech.end_ms)
        replayed = None
        if replay is not None and replay_src is not None and number in replay.turns:
            start, end = replay.turns[number]
            replayed = AudioClipView(src=replay_src, start_seconds=start, end_seconds=end)
        turns.append(TurnAudioView(number=number, original=original, replay=replayed))
    return AudioSection(
        original=AudioClipView(src=listening) if listening is not None else None,
        replay=AudioClipView(src=replay_src) if replay_src is not None else None,
        replay_source="agent" if replay_source == "agent" else "synthesis",
        voice=voice,
        turns=turns,
    )


def with_audio(report: Report, section: AudioSection) -> Report:
    """The report with its audio section."""
    return report.model_copy(update={"audio": section})
