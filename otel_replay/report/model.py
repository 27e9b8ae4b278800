"""The report's data: what every renderer (terminal, Markdown, JSON, HTML) shows.

A `Report` compares two sides, "original" and "replay": a replay run against the session it
replayed, or any two recorded sessions or traces. A report file is a `ReportDocument`
holding one report per comparison; `schemas/report.schema.json` is generated from it and a
test keeps the two equal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from otel_replay.core.runs import Score, SimulationEnd, TurnOrigin
from otel_replay.diff.metrics import MetricName
from otel_replay.diff.span_tree_model import DiffStatus, MatchBasis
from otel_replay.diff.transcript import ToolCallStatus, TurnStatus, WordOp
from otel_replay.report.voice_model import VoiceSection

REPORT_VERSION: Literal[1] = 1
REPORT_KIND: Literal["otel-replay/report"] = "otel-replay/report"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComparisonKind(StrEnum):
    """What the two sides of a report are."""

    REPLAY_RUN = "replay_run"  # a replay run against the session it replayed
    SESSIONS = "sessions"  # two recorded sessions or traces


class SideIdentity(_Model):
    """One side of the comparison: the session and the traces its spans came from."""

    label: str = Field(description="How renderers name this side, e.g. original or replay.")
    session_id: str
    trace_ids: list[str]


class ReportIdentity(_Model):
    """What was compared; the run fields are set for replay runs only."""

    kind: ComparisonKind
    original: SideIdentity
    replay: SideIdentity
    run_id: str | None = None
    scenario: str | None = None
    agent: str | None = None
    status: str | None = None
    started_unix_nano: int | None = None
    ended_unix_nano: int | None = None


class WordChange(_Model):
    """A run of words of the reply diff: equal, only in the original, or only in the replay."""

    op: WordOp
    text: str


class ToolCallView(_Model):
    name: str
    arguments: JsonValue = None
    text: str = Field(description="The call on one line: name(k=v, ...).")


class ToolCallStepView(_Model):
    """One step of the aligned tool-call sequences of a turn."""

    status: ToolCallStatus
    original: ToolCallView | None
    replay: ToolCallView | None


class TurnSideView(_Model):
    assistant: str | None
    tool_calls: list[ToolCallView]
    trace_id: str | None = None


class TranscriptTurnView(_Model):
    """One aligned turn: both sides, the word diff of the reply and the tool-call steps.

    `number` is 1-based. `tool_change` is the one-line summary of a changed tool-call
    sequence (`turn 4: a(x=1) -> b(x=1)`), None when the tools did not change.
    """

    number: int
    status: TurnStatus
    user: str | None
    original: TurnSideView | None
    replay: TurnSideView | None
    reply_diff: list[WordChange]
    reply_changed: bool
    reply_similarity: float
    tool_calls: list[ToolCallStepView]
    tool_change: str | None = None
    error: str | None = Field(default=None, description="Why the replay of this turn failed.")
    note: str | None = None
    divergences: list[str] = Field(default_factory=list)
    origin: TurnOrigin = Field(
        default=TurnOrigin.RECORDED,
        description="Who spoke the user's side: the real user (recorded) or a simulated one.",
    )


class SideCount(_Model):
    """One measure of the whole conversation, original beside replay (None: not known)."""

    original: float | None
    replay: float | None


class OutcomeRow(_Model):
    """One replayed scenario (a row of a report file): whether its expected outcome was
    reached, and the conversation's turns, tool calls and latency beside the original's.

    `reached` is None when the outcome was not checked. `divergent_turn` is 1-based.
    """

    scenario: str
    reached: bool | None = None
    detail: str | None = None
    turns: SideCount
    simulated_turns: int = 0
    tool_calls: SideCount
    latency_ms: SideCount
    after_divergence: str | None = None
    divergent_turn: int | None = None
    ended_by: SimulationEnd | None = None


class MetricRow(_Model):
    """One measure, original against replay; delta and percent are None when unknown."""

    name: MetricName
    original: float | None
    replay: float | None
    delta: float | None
    percent: float | None


class TurnMetricRows(_Model):
    number: int
    metrics: list[MetricRow]


class MetricsTable(_Model):
    """Session totals (time to first token averaged) and per-turn measures."""

    session: list[MetricRow]
    turns: list[TurnMetricRows]


class SpanDiffSummary(_Model):
    same: int
    added: int
    removed: int
    changed: int
    total: int
    identical: bool


class AttributeChangeView(_Model):
    """An attribute that differs; an absent attribute reads as null, bytes as hex."""

    key: str
    original: JsonValue
    replay: JsonValue


class IntDelta(_Model):
    original: int
    replay: int
    delta: int
    percent: float | None


class SpanDiffRow(_Model):
    """One node of the span-tree diff, flattened depth first (parents before children)."""

    depth: int
    status: DiffStatus
    original_name: str | None = Field(description="The original span's name; null if added.")
    replay_name: str | None = Field(description="The replay span's name; null if removed.")
    key: list[str]
    matched_by: MatchBasis | None = None
    original_span_id: str | None = None
    replay_span_id: str | None = None
    original_error: bool = False
    replay_error: bool = False
    attribute_changes: list[AttributeChangeView] = Field(default_factory=list)
    output_changes: list[AttributeChangeView] = Field(default_factory=list)
    duration_unix_nano: IntDelta | None = None
    input_tokens: IntDelta | None = None
    output_tokens: IntDelta | None = None

    @property
    def name(self) -> str:
        """The replay span's name, else the original's."""
        return self.replay_name or self.original_name or ""


class SpanTreeSection(_Model):
    summary: SpanDiffSummary
    rows: list[SpanDiffRow]


class SpreadView(_Model):
    count: int
    minimum: float
    maximum: float
    mean: float
    stdev: float


class MetricSpreadRow(_Model):
    """One measure across the trials; `turn` is 1-based, None for the session.

    `beyond_noise` says whether the original lies outside the trials' band; None when
    either the original or the trials did not record the measure.
    """

    name: MetricName
    turn: int | None
    original: float | None
    spread: SpreadView | None
    beyond_noise: bool | None = None


class ToolSequenceView(_Model):
    sequence: list[str]
    trials: int


class ToolStabilityRow(_Model):
    turn: int
    original: list[str]
    sequences: list[ToolSequenceView]
    stable: bool


class TrialsSection(_Model):
    """How much the agent varied across several replays of the scenario."""

    trials: int
    metrics: list[MetricSpreadRow]
    tool_sequences: list[ToolStabilityRow]


class AudioClipView(_Model):
    """A recording, or a stretch of it: a URL or a path relative to the report file, and
    offsets in seconds (None: from the start, to the end)."""

    src: str
    start_seconds: float | None = None
    end_seconds: float | None = None


class TurnAudioView(_Model):
    """One turn's audio on each side; `number` is 1-based."""

    number: int
    original: AudioClipView | None = None
    replay: AudioClipView | None = None


class AudioSection(_Model):
    """The call's audio on both sides, whole and per turn, for side-by-side listening.

    `replay_source` says where the replay's audio came from: `agent` (the voice agent's own
    output) or `synthesis` (the replayed text spoken by an offline voice, `voice` names it).
    """

    original: AudioClipView | None = None
    replay: AudioClipView | None = None
    replay_source: Literal["agent", "synthesis"] | None = None
    voice: str | None = None
    turns: list[TurnAudioView] = Field(default_factory=list)


class ReportSummary(_Model):
    turns: int
    changed_turns: int
    first_divergent_turn: int | None
    tool_changes: list[str]
    identical: bool = Field(description="Transcripts equal and span trees without differences.")


class Report(_Model):
    """One comparison: transcript diff, metrics, scores, span-tree diff, trials."""

    identity: ReportIdentity
    summary: ReportSummary
    transcript: list[TranscriptTurnView]
    metrics: MetricsTable
    scores: list[Score] = Field(default_factory=list)
    outcome: OutcomeRow | None = Field(
        default=None,
        description="Set for a replay run that watched for divergence or checked its outcome.",
    )
    span_tree: SpanTreeSection
    trials: TrialsSection | None = None
    audio: AudioSection | None = None
    voice: VoiceSection | None = Field(
        default=None, description="Voice metrics, when the original is a voice call."
    )


class ReportDocument(_Model):
    """A report file: one report per comparison (one per replay run)."""

    kind: Literal["otel-replay/report"] = REPORT_KIND
    version: Literal[1] = REPORT_VERSION
    reports: list[Report]


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of report files (what schemas/report.schema.json holds)."""
    schema = ReportDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://otel-replay.dev/schemas/report.schema.json"
    schema["title"] = "otel-replay report"
    return schema
