"""Where speech is in a track: WebRTC voice activity detection over 30 ms frames.

Frames judged voiced are joined into stretches; pauses shorter than `bridge_seconds` (the
breath between two sentences) do not split a stretch, and stretches shorter than
`min_seconds` (a click) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from otel_replay.audio.extra import require
from otel_replay.audio.pcm import SAMPLE_WIDTH, PcmAudio, resample

VAD_RATE = 16_000
FRAME_SECONDS = 0.03


@dataclass(frozen=True)
class Stretch:
    """Speech from `start` to `end`, in seconds from the track's start."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def find_speech(
    audio: PcmAudio,
    *,
    aggressiveness: int = 2,
    bridge_seconds: float = 0.45,
    min_seconds: float = 0.12,
) -> list[Stretch]:
    """The stretches of speech in the audio, in order."""
    webrtcvad: Any = require("webrtcvad", "speech detection")
    vad = webrtcvad.Vad(aggressiveness)
    track = resample(audio, VAD_RATE)
    step = int(VAD_RATE * FRAME_SECONDS) * SAMPLE_WIDTH
    voiced: list[Stretch] = []
    for index in range(len(track.samples) // step):
        frame = track.samples[index * step : (index + 1) * step]
        if vad.is_speech(frame, VAD_RATE):
            start = index * FRAME_SECONDS
            if voiced and start - voiced[-1].end <= bridge_seconds:
                voiced[-1] = Stretch(voiced[-1].start, start + FRAME_SECONDS)
            else:
                voiced.append(Stretch(start, start + FRAME_SECONDS))
    return [s for s in voiced if s.seconds >= min_seconds]
