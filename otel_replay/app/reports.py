"""Reports: a run against its original, any two sides compared, written by file extension."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from otel_replay.app.targets import Recording, recording_of, resolve_comparable
from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import ReplayRun
from otel_replay.diff.metrics import measure_voice_calls, measure_voice_run
from otel_replay.report import (
    Report,
    build_comparison_report,
    build_report,
    read_report_format,
    render_report,
)
from otel_replay.report.voice import with_voice
from otel_replay.store.base import SpanStore


def run_report(store: SpanStore, run: ReplayRun, trials: Sequence[ReplayRun] = ()) -> Report:
    """The report of one run: the scenario's recorded traces against the run's own."""
    original_trace_ids = list(dict.fromkeys(turn.original_trace_id for turn in run.turns))
    original_spans = store.get_spans(original_trace_ids)
    replay_spans = store.get_spans(run.trace_ids)
    report = build_report(run, original_spans, replay_spans, trials)
    return with_voice(report, measure_voice_run(run, original_spans, replay_spans))


def run_reports(
    store: SpanStore,
    runs: Sequence[ReplayRun],
    trials: Mapping[str, Sequence[ReplayRun]] | None = None,
) -> list[Report]:
    """A report per run, in run order; `trials` maps a run id to all the trial runs of its
    scenario (the run among them)."""
    return [run_report(store, run, (trials or {}).get(run.run_id, ())) for run in runs]


@dataclass(frozen=True)
class Comparison:
    """A comparison's report, and whether every replay run on its sides passed (every turn
    ran, every check passed; sessions and traces pass by themselves): `diff` exits 1 if not."""

    report: Report
    passed: bool


def compare(store: SpanStore, first: str, second: str | None = None) -> Comparison:
    """B against A, each a replay run, a trace or a session; a run alone (or named beside the
    session it replayed) is compared with its original."""
    a = resolve_comparable(store, first)
    b = resolve_comparable(store, second) if second is not None else None
    passed = all(side.passed for side in (a, b) if isinstance(side, ReplayRun))
    return Comparison(_compare(store, a, b, first, second), passed)


def _compare(
    store: SpanStore,
    a: ReplayRun | Recording,
    b: ReplayRun | Recording | None,
    first: str,
    second: str | None,
) -> Report:
    if b is None:
        if not isinstance(a, ReplayRun):
            raise BadInputError(
                f"{first!r} is not a replay run: give two sessions or traces to compare, "
                "or one replay run id to compare it with the session it replayed"
            )
        return run_report(store, a)
    # A run named next to the session it replayed: the run's own report says the most.
    if isinstance(a, ReplayRun) and a.original_session_id == second:
        return run_report(store, a)
    if isinstance(b, ReplayRun) and b.original_session_id == first:
        return run_report(store, b)
    original, replay = recording_of(store, a), recording_of(store, b)
    report = build_comparison_report(
        original.conversation,
        replay.conversation,
        original.spans,
        replay.spans,
        labels=("A", "B"),
    )
    return with_voice(report, measure_voice_calls(original.spans, replay.spans))


def check_report_path(path: str) -> None:
    """Fail on an unknown report extension before any work is done."""
    read_report_format(path)


def write_reports(reports: Sequence[Report], path: str) -> Path:
    """One file holding every report, in the format its extension names."""
    report_format = read_report_format(path)
    target = Path(path)
    target.write_text(render_report(reports, report_format), encoding="utf-8")
    return target
