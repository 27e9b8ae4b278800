"""Several replays of one scenario: how much the agent varies against itself.

An agent rarely answers twice in the same time, with the same tokens, or even with the same
tools. Replaying a scenario N times measures that noise; a difference between the original
and the replay is then worth reporting only when the original lies outside it.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import ReplayRun
from otel_replay.diff.metrics import (
    NOISE_FLOORS,
    SESSION_METRICS,
    TURN_METRICS,
    MetricName,
    read_turn_metrics,
    total_metrics,
)
from otel_replay.diff.transcript import TranscriptTurn, transcripts_from_run

__all__ = [
    "DEFAULT_EPSILON",
    "DEFAULT_SIGMAS",
    "MetricSpread",
    "NoiseCheck",
    "Spread",
    "ToolSequenceCount",
    "ToolSequenceStability",
    "TrialSummary",
    "flag_differences",
    "is_beyond_noise",
    "measure_spread",
    "measure_tolerance",
    "summarise_trials",
]

DEFAULT_SIGMAS = 2.0
# With identical trials the spread is zero; this keeps float rounding from being flagged.
DEFAULT_EPSILON = 1e-6


@dataclass(frozen=True)
class Spread:
    """Run-to-run spread of one measure; `stdev` is the sample deviation (0 for one trial)."""

    count: int
    minimum: float
    maximum: float
    mean: float
    stdev: float


@dataclass(frozen=True)
class MetricSpread:
    """One measure of one turn (0-based `turn`; None for the session) across trials.

    `original` is the recorded value; `spread` is None when no trial recorded the measure.
    """

    name: MetricName
    turn: int | None
    original: float | None
    spread: Spread | None


@dataclass(frozen=True)
class ToolSequenceCount:
    sequence: tuple[str, ...]
    trials: int


@dataclass(frozen=True)
class ToolSequenceStability:
    """Which tool-name sequences the trials produced for one turn, most frequent first."""

    turn: int
    original: tuple[str, ...]
    counts: tuple[ToolSequenceCount, ...]

    @property
    def stable(self) -> bool:
        """Every trial that replayed the turn called the same tools."""
        return len(self.counts) <= 1


@dataclass(frozen=True)
class TrialSummary:
    scenario: str
    trials: int
    metrics: tuple[MetricSpread, ...]
    tool_sequences: tuple[ToolSequenceStability, ...]


@dataclass(frozen=True)
class NoiseCheck:
    """The original value of one measure against the trials' band `mean ± tolerance`;
    the tolerance is never under the measure's noise floor (`NOISE_FLOORS`)."""

    name: MetricName
    turn: int | None
    original: float
    mean: float
    tolerance: float
    beyond_noise: bool


def measure_spread(values: Sequence[float]) -> Spread | None:
    """Min, max, mean and sample standard deviation; None for no values."""
    if not values:
        return None
    stdev = statistics.stdev(values) if len(values) > 1 else 0.0
    return Spread(len(values), min(values), max(values), statistics.fmean(values), stdev)


def _spread_of(values: Sequence[float | None]) -> Spread | None:
    return measure_spread([v for v in values if v is not None])


def _check_same_scenario(runs: Sequence[ReplayRun]) -> None:
    if not runs:
        raise BadInputError("no trials: give at least one run of the scenario")
    scenarios = sorted({run.scenario for run in runs})
    if len(scenarios) > 1:
        raise BadInputError(f"trials must replay one scenario, got: {', '.join(scenarios)}")


def summarise_trials(runs: Sequence[ReplayRun]) -> TrialSummary:
    """Per measure and per turn, the spread of the replayed values across the runs, next to
    the recorded original; and per turn, how many runs produced each tool sequence.

    A turn a run did not replay adds nothing to that turn's figures.
    """
    _check_same_scenario(runs)
    originals, _ = transcripts_from_run(runs[0])
    replays: list[tuple[TranscriptTurn, ...]] = [transcripts_from_run(run)[1] for run in runs]
    by_turn: defaultdict[int, list[TranscriptTurn]] = defaultdict(list)
    for replayed in replays:
        for turn in replayed:
            by_turn[turn.index].append(turn)

    metrics: list[MetricSpread] = []
    original_totals = total_metrics(originals)
    replayed_totals = [total_metrics(replayed) for replayed in replays]
    for name in SESSION_METRICS:
        spread = _spread_of([totals[name] for totals in replayed_totals])
        metrics.append(MetricSpread(name, None, original_totals[name], spread))
    stability: list[ToolSequenceStability] = []
    for original in originals:
        trials = by_turn.get(original.index, [])
        recorded = read_turn_metrics(original)
        values = [read_turn_metrics(t) for t in trials]
        for name in TURN_METRICS:
            spread = _spread_of([v[name] for v in values])
            metrics.append(MetricSpread(name, original.index, recorded[name], spread))
        sequences = Counter(tuple(c.name for c in t.tool_calls) for t in trials)
        # Ties broken by sequence, so the order does not depend on which trial came first.
        counts = sorted(sequences.items(), key=lambda item: (-item[1], item[0]))
        stability.append(
            ToolSequenceStability(
                original.index,
                tuple(c.name for c in original.tool_calls),
                tuple(ToolSequenceCount(seq, n) for seq, n in counts),
            )
        )
    return TrialSummary(runs[0].scenario, len(runs), tuple(metrics), tuple(stability))


def measure_tolerance(
    spread: Spread,
    *,
    sigmas: float = DEFAULT_SIGMAS,
    epsilon: float = DEFAULT_EPSILON,
    floor: float = 0.0,
) -> float:
    """How far from the trials' mean a value is still noise: `sigmas` deviations, and at
    least `floor` (the measure's noise floor) and `epsilon`."""
    return max(sigmas * spread.stdev, epsilon, floor)


def is_beyond_noise(
    value: float,
    spread: Spread,
    *,
    sigmas: float = DEFAULT_SIGMAS,
    epsilon: float = DEFAULT_EPSILON,
    floor: float = 0.0,
) -> bool:
    """Whether `value` lies outside `mean ± measure_tolerance(...)`."""
    tolerance = measure_tolerance(spread, sigmas=sigmas, epsilon=epsilon, floor=floor)
    return abs(value - spread.mean) > tolerance


def flag_differences(
    summary: TrialSummary,
    *,
    sigmas: float = DEFAULT_SIGMAS,
    epsilon: float = DEFAULT_EPSILON,
) -> tuple[NoiseCheck, ...]:
    """Each measure with both a recorded original and trial values, judged against the
    trials' noise and the measure's noise floor; only checks with `beyond_noise` set are
    differences worth reporting."""
    checks: list[NoiseCheck] = []
    for metric in summary.metrics:
        if metric.original is None or metric.spread is None:
            continue
        floor = NOISE_FLOORS[metric.name].change
        tolerance = measure_tolerance(metric.spread, sigmas=sigmas, epsilon=epsilon, floor=floor)
        beyond = abs(metric.original - metric.spread.mean) > tolerance
        checks.append(
            NoiseCheck(
                metric.name, metric.turn, metric.original, metric.spread.mean, tolerance, beyond
            )
        )
    return tuple(checks)
