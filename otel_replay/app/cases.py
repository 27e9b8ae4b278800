"""The regression-test use case: find saved cases, replay each against its agent, check it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from otel_replay.app.targets import AgentRef, AgentTarget
from otel_replay.core.errors import BadInputError
from otel_replay.regression.check import CaseResult, check_case
from otel_replay.regression.files import LoadedCase, find_case_folders, load_case, write_baseline
from otel_replay.store.base import SpanStore

DEFAULT_CASES_FOLDER = "otel-replay-cases"

OnResult = Callable[[CaseResult], None]


@dataclass(frozen=True)
class CaseSuiteOutcome:
    """Every case's result, in folder order."""

    results: list[CaseResult]
    baselines_updated: bool = False

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)

    @property
    def passed(self) -> int:
        return len(self.results) - self.failed


def find_cases(paths: Iterable[str | Path]) -> list[LoadedCase]:
    """Every regression case at or below the paths (default: ./otel-replay-cases), loaded."""
    roots = [Path(p) for p in paths] or [Path(DEFAULT_CASES_FOLDER)]
    folders = find_case_folders(roots)
    if not folders:
        named = ", ".join(str(p) for p in roots)
        raise BadInputError(f"no regression cases (case.json) under {named}")
    return [load_case(folder) for folder in folders]


def run_cases(
    store: SpanStore,
    cases: Iterable[LoadedCase],
    *,
    agent: str | None = None,
    update_baseline: bool = False,
    on_result: OnResult | None = None,
) -> CaseSuiteOutcome:
    """Replay every case against `agent` (MODULE:ATTR or an endpoint URL; default: the agent
    each case names) and check it; with `update_baseline`, each run becomes its case's
    approved baseline."""
    targets: dict[str, AgentTarget] = {}
    results: list[CaseResult] = []
    for loaded in cases:
        spec = agent or loaded.case.agent
        if spec is None:
            raise BadInputError(
                f"{loaded.folder}: the case names no agent: pass --agent MODULE:ATTR or URL"
            )
        if spec not in targets:
            targets[spec] = AgentRef.parse(spec).load(loaded.scenario.agent.model)
        result = check_case(loaded, targets[spec].factory, store, agent_label=spec)
        results.append(result)
        if on_result is not None:
            on_result(result)
        if update_baseline:
            write_baseline(loaded.folder, result.run, loaded.case)
    return CaseSuiteOutcome(results, baselines_updated=update_baseline)


def run_case(store: SpanStore, loaded: LoadedCase, agent: str | None = None) -> CaseResult:
    """One case, checked (what the pytest plugin runs per item)."""
    return run_cases(store, [loaded], agent=agent).results[0]
