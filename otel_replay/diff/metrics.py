"""Metric deltas, original against replay, per aligned turn and for the whole session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from otel_replay.core.records import Span
from otel_replay.core.runs import ReplayRun
from otel_replay.diff.transcript import TranscriptDiff, TranscriptTurn, diff_run_transcripts
from otel_replay.voice.compare import VoiceComparison, compare_calls
from otel_replay.voice.replayed import estimate_replay_timeline
from otel_replay.voice.spans import replay_cost_usd, timeline_from_spans

__all__ = [
    "NOISE_FLOORS",
    "SESSION_METRICS",
    "TURN_METRICS",
    "MetricDelta",
    "MetricName",
    "NoiseFloor",
    "SessionMetrics",
    "TurnMetrics",
    "compare_metric",
    "is_noise",
    "measure_run",
    "measure_transcript_diff",
    "measure_voice_calls",
    "measure_voice_run",
    "read_turn_metrics",
    "total_metrics",
]


class MetricName(StrEnum):
    LATENCY_MS = "latency_ms"
    TIME_TO_FIRST_TOKEN_MS = "time_to_first_token_ms"
    INPUT_TOKENS = "input_tokens"
    OUTPUT_TOKENS = "output_tokens"
    LLM_CALLS = "llm_calls"
    TOOL_CALLS = "tool_calls"
    ERRORS = "errors"
    TURNS = "turns"  # session only


TURN_METRICS: tuple[MetricName, ...] = (
    MetricName.LATENCY_MS,
    MetricName.TIME_TO_FIRST_TOKEN_MS,
    MetricName.INPUT_TOKENS,
    MetricName.OUTPUT_TOKENS,
    MetricName.LLM_CALLS,
    MetricName.TOOL_CALLS,
    MetricName.ERRORS,
)
SESSION_METRICS: tuple[MetricName, ...] = (MetricName.TURNS, *TURN_METRICS)

# Session figures are sums over turns, except time to first token: a sum of those means
# nothing, so the session gets the mean.
_AVERAGED = frozenset({MetricName.TIME_TO_FIRST_TOKEN_MS})


@dataclass(frozen=True)
class NoiseFloor:
    """How small a change of one measure is noise, whatever its percent.

    A change of at most `change` (absolute) is noise: it gets no percent and is never
    beyond the trials' noise. A percent of an original under `base` gets none either: a
    0.02 ms step that takes 0.4 ms is +1900%, and says nothing.
    """

    change: float
    base: float


_COUNT_FLOOR = NoiseFloor(change=0.5, base=10)  # one more call is a change; +50% of 2 is not
NOISE_FLOORS: dict[MetricName, NoiseFloor] = {
    # Timer and scheduling jitter of an agent on one machine: a few milliseconds.
    MetricName.LATENCY_MS: NoiseFloor(change=5.0, base=1.0),
    MetricName.TIME_TO_FIRST_TOKEN_MS: NoiseFloor(change=5.0, base=1.0),
    # Every token counts, but a percent of a short reply's tokens reads as an alarm.
    MetricName.INPUT_TOKENS: NoiseFloor(change=0.5, base=100),
    MetricName.OUTPUT_TOKENS: NoiseFloor(change=0.5, base=100),
    MetricName.LLM_CALLS: _COUNT_FLOOR,
    MetricName.TOOL_CALLS: _COUNT_FLOOR,
    MetricName.ERRORS: _COUNT_FLOOR,
    MetricName.TURNS: _COUNT_FLOOR,
}


def is_noise(name: MetricName, delta: float) -> bool:
    """Whether a change of `delta` in this measure is within its noise floor."""
    return abs(delta) <= NOISE_FLOORS[name].change


@dataclass(frozen=True)
class MetricDelta:
    """One measure, original against replay.

    `delta` is replayed minus original, None unless both are known; `percent` is the
    delta relative to the original, None when the original is 0 or unknown, and when the
    change or the original is under the measure's noise floor (`NOISE_FLOORS`).
    """

    name: MetricName
    original: float | None
    replayed: float | None
    delta: float | None
    percent: float | None


@dataclass(frozen=True)
class TurnMetrics:
    """The deltas of one aligned turn; `number` is the 1-based turn number of the diff."""

    number: int
    deltas: tuple[MetricDelta, ...]

    def get(self, name: MetricName) -> MetricDelta:
        return next(d for d in self.deltas if d.name is name)


@dataclass(frozen=True)
class SessionMetrics:
    """Per-turn deltas in aligned order, and the session's totals."""

    turns: tuple[TurnMetrics, ...]
    session: tuple[MetricDelta, ...]

    def get(self, name: MetricName) -> MetricDelta:
        return next(d for d in self.session if d.name is name)


def compare_metric(name: MetricName, original: float | None, replayed: float | None) -> MetricDelta:
    """The delta and percent change of one measure (no percent under its noise floor)."""
    delta = None if original is None or replayed is None else replayed - original
    percent = None
    if delta is not None and original and abs(original) >= NOISE_FLOORS[name].base:
        percent = None if is_noise(name, delta) else delta * 100 / original
    return MetricDelta(name, original, replayed, delta, percent)


def read_turn_metrics(turn: TranscriptTurn) -> dict[MetricName, float | None]:
    """Every per-turn measure of one transcript turn (None where not recorded)."""
    return {
        MetricName.LATENCY_MS: turn.latency_ms,
        MetricName.TIME_TO_FIRST_TOKEN_MS: turn.time_to_first_token_ms,
        MetricName.INPUT_TOKENS: turn.input_tokens,
        MetricName.OUTPUT_TOKENS: turn.output_tokens,
        MetricName.LLM_CALLS: turn.llm_calls,
        MetricName.TOOL_CALLS: len(turn.tool_calls),
        MetricName.ERRORS: turn.errors,
    }


def _combine(name: MetricName, values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    if not known:
        return None
    return sum(known) / len(known) if name in _AVERAGED else sum(known)


def total_metrics(turns: Sequence[TranscriptTurn]) -> dict[MetricName, float | None]:
    """Session measures of a transcript: the turn count, and each per-turn measure summed
    over the turns that recorded it (time to first token averaged); None if none did."""
    per_turn = [read_turn_metrics(t) for t in turns]
    totals: dict[MetricName, float | None] = {MetricName.TURNS: len(turns)}
    for name in TURN_METRICS:
        totals[name] = _combine(name, [m[name] for m in per_turn])
    return totals


def _compare_all(
    names: Sequence[MetricName],
    original: Mapping[MetricName, float | None],
    replayed: Mapping[MetricName, float | None],
) -> tuple[MetricDelta, ...]:
    return tuple(compare_metric(n, original.get(n), replayed.get(n)) for n in names)


def measure_transcript_diff(diff: TranscriptDiff) -> SessionMetrics:
    """Metric deltas of every turn of the diff (a one-sided turn has None on the other side)
    and of the two sessions as a whole."""
    turns = tuple(
        TurnMetrics(
            t.number,
            _compare_all(
                TURN_METRICS,
                read_turn_metrics(t.original) if t.original else {},
                read_turn_metrics(t.replayed) if t.replayed else {},
            ),
        )
        for t in diff.turns
    )
    original = [t.original for t in diff.turns if t.original is not None]
    replayed = [t.replayed for t in diff.turns if t.replayed is not None]
    session = _compare_all(SESSION_METRICS, total_metrics(original), total_metrics(replayed))
    return SessionMetrics(turns, session)


def measure_run(run: ReplayRun) -> SessionMetrics:
    """Metric deltas of a replay run, its turns paired by recorded index."""
    return measure_transcript_diff(diff_run_transcripts(run))


def measure_voice_run(
    run: ReplayRun, original_spans: Sequence[Span], replay_spans: Sequence[Span]
) -> VoiceComparison | None:
    """Voice metrics of a replayed voice call against the original (None when the original
    is no voice call): the replay's own voice spans when it made some (an agent that speaks),
    else its text replay's estimated timeline (docs/voice-metrics.md)."""
    original = timeline_from_spans(original_spans)
    if original is None:
        return None
    replay = timeline_from_spans(replay_spans) or estimate_replay_timeline(
        original, run, replay_cost_usd(replay_spans)
    )
    return compare_calls(original, replay)


def measure_voice_calls(
    original_spans: Sequence[Span], replay_spans: Sequence[Span]
) -> VoiceComparison | None:
    """Voice metrics of two recorded calls; None unless both are voice calls."""
    original = timeline_from_spans(original_spans)
    replay = timeline_from_spans(replay_spans)
    return None if original is None or replay is None else compare_calls(original, replay)
