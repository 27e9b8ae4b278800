"""Where a recorded call's audio is, read from its spans (docs/semconv.md section 12).

The `voice.call` root names the recordings (mixed, stereo, the caller's and the agent's
tracks); each `voice.turn` span gives the turn's speech offsets in milliseconds from the
start of the recording. Pure: spans in, locations and offsets out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from otel_replay.core.records import AnyValue, Span
from otel_replay.semconv.attributes import VoiceCall
from otel_replay.semconv.calls import TurnTiming, call_root, turn_text, turn_timing


@dataclass(frozen=True)
class TurnSpeech:
    """One recorded turn: its texts and speech offsets (ms from the recording's start)."""

    user_text: str | None
    agent_text: str | None
    user_start_ms: int | None
    user_end_ms: int | None
    agent_start_ms: int | None
    agent_end_ms: int | None

    @property
    def start_ms(self) -> int | None:
        return self.user_start_ms if self.user_start_ms is not None else self.agent_start_ms

    @property
    def end_ms(self) -> int | None:
        return self.agent_end_ms if self.agent_end_ms is not None else self.user_end_ms


@dataclass(frozen=True)
class CallRecording:
    """The recordings a call names (URLs or paths) and its turns in order."""

    mixed: str | None
    stereo: str | None
    user: str | None
    agent: str | None
    turns: tuple[TurnSpeech, ...]
    platform: str | None = None  # vapi, retell: whose stereo channel layout applies

    @property
    def listening(self) -> str | None:
        """The recording to listen to beside a replay: both parties, best first."""
        return self.mixed or self.stereo or self.agent or self.user


def _text(value: AnyValue) -> str | None:
    return value if isinstance(value, str) and value else None


def _turn(span: Span, timing: TurnTiming) -> TurnSpeech:
    words = turn_text(span)
    return TurnSpeech(
        user_text=words.user_text,
        agent_text=words.assistant_text,
        user_start_ms=timing.user_start_ms,
        user_end_ms=timing.user_end_ms,
        agent_start_ms=timing.agent_start_ms,
        agent_end_ms=timing.agent_end_ms,
    )


def read_call_recording(spans: Sequence[Span]) -> CallRecording | None:
    """The call's recordings and turn offsets; None when the spans hold no `voice.call`."""
    root = call_root(spans)
    if root is None:
        return None
    timed = [
        (timing, s)
        for s in spans
        if s.trace_id == root.trace_id and (timing := turn_timing(s)) is not None
    ]
    timed.sort(key=lambda pair: (pair[0].index, pair[1].start_time_unix_nano))
    a = root.attributes
    return CallRecording(
        mixed=_text(a.get(VoiceCall.RECORDING_MIXED_URL)),
        stereo=_text(a.get(VoiceCall.RECORDING_STEREO_URL)),
        user=_text(a.get(VoiceCall.RECORDING_USER_URL)),
        agent=_text(a.get(VoiceCall.RECORDING_AGENT_URL)),
        turns=tuple(_turn(s, timing) for timing, s in timed),
        platform=_text(a.get(VoiceCall.PLATFORM)),
    )
