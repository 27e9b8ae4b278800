"""Mono 16-bit PCM audio in memory, and WAV files of it.

Everything the audio tier moves around is one `PcmAudio`: little-endian signed 16-bit
samples, one channel, at a stated rate. WAV files are read and written with the standard
library's `wave`; resampling is linear interpolation (enough for speech detection and
recognition, which work at 16 kHz, and for playback).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otel_replay.audio.extra import require
from otel_replay.core.errors import BadInputError

SAMPLE_WIDTH = 2  # bytes: signed 16-bit


def numpy_module() -> Any:
    """numpy, from the voice extra (imported on use: the core package does not need it)."""
    return require("numpy", "audio processing")


@dataclass(frozen=True)
class PcmAudio:
    """Mono signed 16-bit little-endian samples at `sample_rate` Hz."""

    samples: bytes
    sample_rate: int

    @property
    def frame_count(self) -> int:
        return len(self.samples) // SAMPLE_WIDTH

    @property
    def duration_seconds(self) -> float:
        return self.frame_count / self.sample_rate

    def cut(self, start_seconds: float, end_seconds: float | None = None) -> PcmAudio:
        """The stretch between two offsets (clamped to the audio)."""
        start = _frame_at(self, start_seconds)
        end = self.frame_count if end_seconds is None else _frame_at(self, end_seconds)
        end = max(start, end)
        return PcmAudio(self.samples[start * SAMPLE_WIDTH : end * SAMPLE_WIDTH], self.sample_rate)


def _frame_at(audio: PcmAudio, seconds: float) -> int:
    return min(audio.frame_count, max(0, round(seconds * audio.sample_rate)))


def silence(seconds: float, sample_rate: int) -> PcmAudio:
    """Digital silence of the given length."""
    return PcmAudio(bytes(round(seconds * sample_rate) * SAMPLE_WIDTH), sample_rate)


def concatenate(pieces: list[PcmAudio], sample_rate: int) -> PcmAudio:
    """The pieces one after another, each brought to `sample_rate` first."""
    return PcmAudio(b"".join(resample(p, sample_rate).samples for p in pieces), sample_rate)


def resample(audio: PcmAudio, sample_rate: int) -> PcmAudio:
    """The audio at another rate, by linear interpolation."""
    if audio.sample_rate == sample_rate or audio.frame_count == 0:
        return PcmAudio(audio.samples, sample_rate) if audio.frame_count == 0 else audio
    np = numpy_module()

    source = np.frombuffer(audio.samples, dtype="<i2").astype(np.float32)
    count = max(1, round(audio.frame_count * sample_rate / audio.sample_rate))
    positions = np.arange(count, dtype=np.float64) * (audio.sample_rate / sample_rate)
    target = np.interp(positions, np.arange(audio.frame_count), source)
    return PcmAudio(np.clip(target, -32768, 32767).astype("<i2").tobytes(), sample_rate)


def from_float_samples(values: object, sample_rate: int) -> PcmAudio:
    """Float samples in [-1, 1] (a numpy array) as 16-bit PCM."""
    np = numpy_module()

    floats = np.clip(np.asarray(values, dtype=np.float32), -1.0, 1.0)
    return PcmAudio((floats * 32767).astype("<i2").tobytes(), sample_rate)


def to_float_samples(audio: PcmAudio) -> object:
    """The samples as a float32 numpy array in [-1, 1]."""
    np = numpy_module()

    return np.frombuffer(audio.samples, dtype="<i2").astype(np.float32) / 32768.0


def write_wav(path: Path, audio: PcmAudio) -> Path:
    """Write the audio as a mono 16-bit WAV file (folders made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(audio.sample_rate)
        out.writeframes(audio.samples)
    return path


def read_wav(path: Path, channel: int | None = None) -> PcmAudio:
    """A 16-bit PCM WAV file as mono audio: one channel of it (a stereo call recording holds
    one party per channel), or all channels averaged."""
    np = numpy_module()

    try:
        with wave.open(str(path), "rb") as source:
            channels, width = source.getnchannels(), source.getsampwidth()
            rate, data = source.getframerate(), source.readframes(source.getnframes())
    except (OSError, EOFError, wave.Error) as error:
        raise BadInputError(f"cannot read {path} as a WAV file: {error}") from error
    if width != SAMPLE_WIDTH:
        raise BadInputError(f"{path}: {8 * width}-bit samples; only 16-bit PCM WAV is read")
    if channel is not None and not 0 <= channel < channels:
        raise BadInputError(f"{path} has {channels} channel(s); channel {channel} asked for")
    if channels == 1:
        return PcmAudio(data, rate)
    frames = np.frombuffer(data, dtype="<i2").reshape(-1, channels)
    mono = frames[:, channel] if channel is not None else frames.mean(axis=1)
    return PcmAudio(mono.astype("<i2").tobytes(), rate)
