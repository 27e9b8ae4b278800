"""The caller's channel of a stereo call recording.

A stereo recording keeps one party per channel. Which one is the platform's convention:
Vapi's stereo recording (`artifact.recording.stereoUrl`) and Retell's multi-channel one
(`recording_multi_channel_url`) are both read with the caller on the left (channel 0) and
the agent on the right. A convention can be wrong for a given file (a recording exported by
another tool, channels swapped on the way), so the recording is checked against the call's
own timings: the channel whose sound falls more inside the user's recorded speech than the
other's is the caller's. Only when the timings cannot tell (no user offsets, or both
channels equally loud there) does the convention decide.
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from pathlib import Path

from otel_replay.audio.pcm import PcmAudio, numpy_module, read_wav

LEFT, RIGHT = 0, 1
# The caller's channel, by platform; a platform not named here is read like these.
USER_CHANNEL: dict[str, int] = {"vapi": LEFT, "retell": LEFT}
# Shares of in-user-speech energy closer than this do not overrule the convention.
_MARGIN = 0.05


def _user_share(audio: PcmAudio, spans_ms: Sequence[tuple[int, int]]) -> float | None:
    """The part of the channel's energy that lies inside the user's recorded speech."""
    np = numpy_module()

    samples = np.frombuffer(audio.samples, dtype="<i2").astype(np.float64)
    total = float(np.square(samples).sum())
    if total == 0.0:
        return None
    inside = 0.0
    rate = audio.sample_rate
    for start, end in spans_ms:
        first, last = max(0, start * rate // 1000), min(len(samples), end * rate // 1000)
        if last > first:
            inside += float(np.square(samples[first:last]).sum())
    return inside / total


def user_channel(path: Path, platform: str | None, user_spans_ms: Sequence[tuple[int, int]]) -> int:
    """The channel of the stereo WAV at `path` that holds the caller."""
    convention = USER_CHANNEL.get(platform or "", LEFT)
    if not user_spans_ms:
        return convention
    left = _user_share(read_wav(path, LEFT), user_spans_ms)
    right = _user_share(read_wav(path, RIGHT), user_spans_ms)
    if left is None or right is None or abs(left - right) < _MARGIN:
        return convention
    return LEFT if left > right else RIGHT


def caller_track(
    path: Path, platform: str | None, user_spans_ms: Sequence[tuple[int, int]]
) -> PcmAudio:
    """The caller's audio from a stereo recording (a mono file is the caller's as it is)."""
    try:
        with wave.open(str(path), "rb") as source:
            channels = source.getnchannels()
    except (OSError, EOFError, wave.Error):
        channels = 1  # read_wav says what is wrong with the file
    if channels < 2:
        return read_wav(path)
    return read_wav(path, user_channel(path, platform, user_spans_ms))
