"""Approving baselines: `approve RUN_ID [CASE_DIR]`, `test --update-baseline`, and the
cassette that goes with a baseline (the LLM exchanges `test` serves back)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from otel_replay.app.conversations import session_scenario
from otel_replay.app.targets import resolve_run
from otel_replay.core.errors import BadInputError, OtelReplayError
from otel_replay.core.runs import ReplayRun
from otel_replay.regression.baselines import BaselineChange, approve_run
from otel_replay.regression.cassette import (
    CassetteDocument,
    cassette_from_exchanges,
    cassette_from_scenario,
)
from otel_replay.regression.files import LoadedCase, find_case_folders, load_case
from otel_replay.standin import StandInExchange
from otel_replay.store.base import SpanStore

DEFAULT_CASES_FOLDER = "otel-replay-cases"


def cassette_from_trace(store: SpanStore, run: ReplayRun) -> CassetteDocument | None:
    """The run's LLM calls as its stored replay trace recorded them; None when the trace
    holds none (an agent whose model client is not instrumented during replays)."""
    try:
        scenario = session_scenario(store, run.session_id)
    except OtelReplayError:
        return None
    if len(scenario.turns) != len(run.turns):
        return None  # the trace's turns cannot be told apart: better none than misplaced
    renumbered = scenario.model_copy(
        update={
            "turns": [
                t.model_copy(update={"index": r.index})
                for t, r in zip(scenario.turns, run.turns, strict=True)
            ]
        }
    )
    document = cassette_from_scenario(renumbered, run.run_id)
    document = document.model_copy(update={"scenario": run.scenario})
    return document if document.turns else None


def baseline_cassette(
    store: SpanStore | None, run: ReplayRun, exchanges: Sequence[StandInExchange] | None
) -> CassetteDocument | None:
    """The cassette of a baseline: the stand-in's log when the run was served by one, else
    the run's stored trace (when a store is given)."""
    if exchanges is not None:
        return cassette_from_exchanges(run.scenario, run.run_id, exchanges)
    return cassette_from_trace(store, run) if store is not None else None


_NO_CASSETTE = (
    "no cassette: the run's model calls are not in its trace; "
    "`otel-replay test CASE --record-mode all` records them"
)


def approve_case_run(
    store: SpanStore,
    loaded: LoadedCase,
    run: ReplayRun,
    exchanges: Sequence[StandInExchange] | None = None,
) -> BaselineChange:
    """Make `run` the case's baseline, with its expectations and cassette."""
    if run.scenario != loaded.scenario.name:
        raise BadInputError(
            f"run {run.run_id} replayed scenario {run.scenario!r}, but the case in "
            f"{loaded.folder} holds {loaded.scenario.name!r}"
        )
    cassette = baseline_cassette(store, run, exchanges)
    note = ""
    if cassette is None:
        sources = [s for t in run.turns if t.replayed for s in t.replayed.llm_sources]
        if sources and loaded.cassette is not None and set(sources) == {"recorded"}:
            # Every model answer came from the current cassette: it still holds this run.
            cassette, note = loaded.cassette, "cassette kept: every model answer came from it"
        else:
            note = _NO_CASSETTE
    return approve_run(loaded, run, cassette, note)


def find_case_of_run(run: ReplayRun, root: Path) -> Path:
    """The one case under `root` whose scenario the run replayed; BadInputError otherwise."""
    folders = find_case_folders([root]) if root.is_dir() else []
    matching = [f for f in folders if load_case(f).scenario.name == run.scenario]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        raise BadInputError(
            f"no case under {root} holds scenario {run.scenario!r}: name the case folder"
        )
    named = ", ".join(str(f) for f in matching)
    raise BadInputError(f"several cases hold scenario {run.scenario!r} ({named}): name one")


def approve(store: SpanStore, run_id: str, case_dir: Path | None = None) -> BaselineChange:
    """`approve RUN_ID [CASE_DIR]`: a reviewed run becomes its case's baseline (the case
    default: the one under ./otel-replay-cases whose scenario the run replayed)."""
    run = resolve_run(store, run_id)
    folder = case_dir or find_case_of_run(run, Path(DEFAULT_CASES_FOLDER))
    return approve_case_run(store, load_case(folder), run)
