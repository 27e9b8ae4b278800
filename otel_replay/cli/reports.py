"""Write report files of replay runs: load both sides' spans, build, render by extension."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from otel_replay.core.runs import ReplayRun
from otel_replay.report import Report, build_report, read_report_format, render_report
from otel_replay.store.base import SpanStore


def load_run_report(run: ReplayRun, store: SpanStore, trials: Sequence[ReplayRun] = ()) -> Report:
    """The report of one run: the scenario's recorded traces against the run's own."""
    original_trace_ids = list(dict.fromkeys(turn.original_trace_id for turn in run.turns))
    return build_report(
        run, store.get_spans(original_trace_ids), store.get_spans(run.trace_ids), trials
    )


def write_run_report(
    runs: Sequence[ReplayRun],
    path: str,
    store: SpanStore,
    trials: Mapping[str, Sequence[ReplayRun]] | None = None,
) -> None:
    """Write one report file holding a report per run, in run order; `trials` maps a run id
    to all the trial runs of its scenario (the run among them).

    The format follows the extension (.md, .json, .html, .txt); an unknown one raises
    BadInputError before anything is loaded.
    """
    report_format = read_report_format(path)
    reports = [load_run_report(run, store, (trials or {}).get(run.run_id, ())) for run in runs]
    Path(path).write_text(render_report(reports, report_format), encoding="utf-8")
