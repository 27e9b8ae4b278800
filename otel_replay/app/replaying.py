"""The replay use case: scenarios against an agent, with trials, scores and saved cases."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otel_replay.app.targets import AgentTarget
from otel_replay.core.runs import ReplayRun, RunStatus
from otel_replay.evals.evaluate import check_expectations, default_expectations, score_expectations
from otel_replay.regression.files import save_case
from otel_replay.regression.model import CaseOptions
from otel_replay.replay.runner import ReplayOptions, replay_many, replay_scenario
from otel_replay.scenario.model import Scenario
from otel_replay.store.base import SpanStore

# Called once per finished scenario (the first trial), for progress display.
OnRun = Callable[[ReplayRun], None]


@dataclass(frozen=True)
class ReplayOutcome:
    """The runs of one replay request: one per scenario, and each scenario's trials."""

    scenarios: list[Scenario]
    runs: list[ReplayRun]
    trials: Mapping[str, list[ReplayRun]] = field(default_factory=dict)

    @property
    def all_failed(self) -> bool:
        """The agent failed every turn of every run."""
        return bool(self.runs) and all(r.status is RunStatus.AGENT_FAILED for r in self.runs)


def replay_scenarios(
    store: SpanStore,
    scenarios: Sequence[Scenario],
    agent: AgentTarget,
    options: ReplayOptions,
    *,
    concurrency: int = 1,
    trials: int = 1,
    on_run: OnRun | None = None,
) -> ReplayOutcome:
    """Replay each scenario (`concurrency` at once when there are several), `trials` times;
    every run is scored by its scenario's expectations and stored with its scores.

    Every scenario's expectations are checked before any agent runs: a bad evaluator is
    bad input, not a failed run.
    """
    for scenario in scenarios:
        check_expectations(scenario.expectations)
    if len(scenarios) > 1:
        runs = replay_many(
            scenarios,
            agent.factory,
            store,
            agent_label=agent.label,
            options=options,
            concurrency=concurrency,
            on_done=on_run,
            score=score_expectations,
        )
    else:
        runs = [_replay_one(store, scenario, agent, options) for scenario in scenarios]
        if on_run is not None:
            for run in runs:
                on_run(run)
    trial_runs: dict[str, list[ReplayRun]] = {}
    if trials > 1:
        for scenario, run in zip(scenarios, runs, strict=True):
            trial_runs[run.run_id] = [run] + [
                _replay_one(store, scenario, agent, options) for _ in range(trials - 1)
            ]
    return ReplayOutcome(list(scenarios), runs, trial_runs)


def _replay_one(
    store: SpanStore, scenario: Scenario, agent: AgentTarget, options: ReplayOptions
) -> ReplayRun:
    return replay_scenario(
        scenario,
        agent.factory,
        store,
        agent_label=agent.label,
        options=options,
        score=score_expectations,
    )


def case_options(options: ReplayOptions) -> CaseOptions:
    """A case is replayed the way its baseline was."""
    return CaseOptions(
        history=options.history,
        tool_mode=options.tool_mode,
        live_tools=sorted(options.live_tools),
    )


def save_cases(
    outcome: ReplayOutcome, folder: Path, agent: AgentTarget, options: ReplayOptions
) -> list[Path]:
    """Save every run of the outcome as a regression case, its baseline and its default
    expectations (the tool sequence per turn and a reply similarity)."""
    return [
        save_case(
            folder,
            scenario,
            run,
            default_expectations(run),
            case_options(options),
            agent.module,
        )
        for scenario, run in zip(outcome.scenarios, outcome.runs, strict=True)
    ]
