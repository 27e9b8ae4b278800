"""Approving baselines: `approve RUN_ID [CASE_DIR]`, `test --update-baseline`, and the
cassette that goes with a baseline (the LLM exchanges `test` serves back)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from otel_replay.app.conversations import load_conversation
from otel_replay.app.targets import resolve_run
from otel_replay.core.errors import BadInputError, OtelReplayError
from otel_replay.core.records import Span
from otel_replay.core.runs import ReplayRun
from otel_replay.regression.baselines import BaselineChange, approve_run
from otel_replay.regression.cassette import (
    CassetteDocument,
    cassette_from_exchanges,
    cassette_from_scenario,
)
from otel_replay.regression.files import LoadedCase, find_case_folders, load_case
from otel_replay.scenario.emit import emit_scenario
from otel_replay.standin import StandInExchange
from otel_replay.store.base import SpanStore

DEFAULT_CASES_FOLDER = "otel-replay-cases"


def _turn_of_span(spans: Sequence[Span], turn_span_ids: set[str]) -> dict[str, str]:
    """Per span id, the turn span it runs under (the replay puts every turn in one trace)."""
    parents = {span.span_id: span.parent_span_id for span in spans}
    found: dict[str, str] = {}
    for span_id in parents:
        current, seen = span_id, set()
        while current and current not in turn_span_ids and current not in seen:
            seen.add(current)
            current = parents.get(current, "")
        if current in turn_span_ids:
            found[span_id] = current
    return found


def cassette_from_trace(store: SpanStore, run: ReplayRun) -> CassetteDocument | None:
    """The run's LLM calls as its stored replay trace recorded them, each in the turn whose
    span it ran under; None when the trace holds none (an agent whose model client is not
    instrumented during replays)."""
    try:
        conversation = load_conversation(store, run.session_id)
    except OtelReplayError:
        return None
    scenario = emit_scenario(conversation)
    calls = [call for turn in scenario.turns for call in turn.llm_calls]
    if not calls or not scenario.turns:
        return None
    turn_spans = {t.span_id: t.index for t in run.turns if t.span_id}
    under = _turn_of_span(store.get_spans(run.trace_ids), set(turn_spans))
    template = scenario.turns[0]
    turns = [
        template.model_copy(
            update={
                "index": index,
                "llm_calls": [
                    c for c in calls if turn_spans.get(under.get(c.span_id, "")) == index
                ],
            }
        )
        for index in sorted(set(turn_spans.values()))
    ]
    by_turn = scenario.model_copy(update={"name": run.scenario, "turns": turns})
    document = cassette_from_scenario(by_turn, run.run_id)
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
        elif any(t.replayed and t.replayed.llm_calls for t in run.turns):
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
