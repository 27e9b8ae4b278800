"""The report's voice-metrics section (docs/voice-metrics.md): the original call against its
replay, per call and per turn."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from otel_replay.voice.compare import VoiceMetricName


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VoiceMetricRow(_Model):
    """One voice measure; delta and percent are None when either side is unknown."""

    name: VoiceMetricName
    original: float | None
    replay: float | None
    delta: float | None
    percent: float | None


class VoiceTurnRows(_Model):
    number: int = Field(description="1-based turn.")
    metrics: list[VoiceMetricRow]


class VoiceSection(_Model):
    """Where each side's timeline came from (livekit, pipecat, vapi, retell, text_replay),
    whether the replay's speech times were estimated (a text replay: sound-only measures
    are null), the end-reason buckets, and the measures."""

    original_source: str
    replay_source: str
    replay_estimated: bool
    original_end_reason: str | None = None
    replay_end_reason: str | None = None
    call: list[VoiceMetricRow]
    turns: list[VoiceTurnRows]
