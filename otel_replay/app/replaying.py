"""The replay use case: scenarios against an agent, with trials, scores and saved cases."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from otel_replay.app.baselines import baseline_cassette
from otel_replay.app.models import LlmMode, answer_sources, mark_model_sources, model_standin
from otel_replay.app.targets import AgentRef, AgentTarget
from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import AfterDivergence, ReplayRun, RunStatus, Score
from otel_replay.evals.evaluate import check_expectations, default_expectations, score_expectations
from otel_replay.regression.files import case_folder, refuse_existing_case, save_case
from otel_replay.regression.model import CaseOptions
from otel_replay.replay.adapters import sealed_frameworks
from otel_replay.replay.remote import replay_bridge
from otel_replay.replay.runner import ReplayOptions, Steer, replay_many, replay_scenario
from otel_replay.scenario.model import Scenario
from otel_replay.simulate.freeze import played_scenario
from otel_replay.simulate.model_client import UserModel
from otel_replay.simulate.outcome import check_outcome, load_outcome_rule
from otel_replay.simulate.user import (
    DEFAULT_MAX_TURNS,
    SIMULATED_USER,
    DivergenceSteering,
    SimulatedUser,
)
from otel_replay.standin import StandIn, StandInExchange
from otel_replay.store.base import SpanStore

# Called once per finished scenario (the first trial), for progress display.
OnRun = Callable[[ReplayRun], None]


@dataclass(frozen=True)
class Simulation:
    """What a replay does once a turn diverges from its recording, and the models it asks:
    `user_model` plays the user for `simulate`, `outcome_judge` checks each scenario's
    expected outcome at the end (a scenario's own `outcome_rule` needs no model)."""

    after_divergence: AfterDivergence = AfterDivergence.CONTINUE
    user_model: UserModel | None = None
    max_turns: int = DEFAULT_MAX_TURNS
    outcome_judge: UserModel | None = None

    def __post_init__(self) -> None:
        if self.after_divergence is AfterDivergence.SIMULATE and self.user_model is None:
            raise BadInputError("--after-divergence simulate needs --user-model URL")
        if self.max_turns < 1:
            raise BadInputError(f"--max-turns must be at least 1, not {self.max_turns}")

    @property
    def watches(self) -> bool:
        """Whether replays are watched turn by turn (stop, simulate)."""
        return self.after_divergence is not AfterDivergence.CONTINUE

    def steering(self, scenario: Scenario) -> DivergenceSteering | None:
        if not self.watches:
            return None
        user = (
            SimulatedUser(scenario.user, self.user_model)
            if self.after_divergence is AfterDivergence.SIMULATE and self.user_model is not None
            else None
        )
        return DivergenceSteering(scenario, self.after_divergence, user, max_turns=self.max_turns)

    def score(self, scenario: Scenario, run: ReplayRun) -> list[Score]:
        """The scenario's expectations, then its expected outcome when it can be checked."""
        scores = score_expectations(scenario, run)
        watch = run.divergence
        if watch is not None and watch.error is not None:  # the simulation could not go on
            scores.append(Score(evaluator=SIMULATED_USER, passed=False, detail=watch.error))
        outcome = check_outcome(scenario, run, self.outcome_judge)
        return [*scores, outcome] if outcome is not None else scores


@dataclass(frozen=True)
class ReplayOutcome:
    """The runs of one replay request: one per scenario, and each scenario's trials."""

    scenarios: list[Scenario]
    runs: list[ReplayRun]
    agent: AgentRef
    trials: Mapping[str, list[ReplayRun]] = field(default_factory=dict)
    # Per run id, the model stand-in's exchanges (`--llm recorded|hybrid`): a saved case's
    # cassette.
    llm_exchanges: Mapping[str, list[StandInExchange]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every scenario replayed whole (no failed, timed-out or interrupted turn, no tool
        run for real) and every check passed, in every trial."""
        trial_runs = [run for runs in self.trials.values() for run in runs]
        return all(run.passed for run in [*self.runs, *trial_runs])

    @property
    def interrupted(self) -> bool:
        return any(run.status is RunStatus.INTERRUPTED for run in self.runs)


def replay_scenarios(
    store: SpanStore,
    scenarios: Sequence[Scenario],
    agent: AgentRef,
    options: ReplayOptions,
    *,
    concurrency: int = 1,
    trials: int = 1,
    llm: LlmMode = LlmMode.LIVE,
    llm_upstream: str | None = None,
    seal: Sequence[str] = (),
    on_run: OnRun | None = None,
    simulation: Simulation | None = None,
) -> ReplayOutcome:
    """Replay each scenario (`concurrency` at once when there are several and the model is
    live), `trials` times; every run is scored by its scenario's expectations and stored
    with its scores. Ctrl-C stops after the run it interrupted (stored as `interrupted`).

    Framework tools (LangChain / LangGraph, OpenAI Agents SDK, MCP) and the functions named
    in `seal` (MODULE:FUNCTION) are sealed for the duration; an HTTP agent gets a loopback
    bridge for its spans and its sealed tool calls (`replay.remote`).

    With `simulation`, each replay is watched turn by turn and stopped, or carried on by a
    simulated user, from its first divergent turn; each scenario's expected outcome is
    checked at the end (`simulate/`).

    Every scenario's expectations (and outcome rule) are checked before any agent runs: a
    bad evaluator is bad input, not a failed run.
    """
    simulation = simulation or Simulation()
    for scenario in scenarios:
        check_expectations(scenario.expectations)
        if scenario.user is not None and scenario.user.outcome_rule:
            load_outcome_rule(scenario.user.outcome_rule)
    if not scenarios:
        raise BadInputError("nothing to replay: no scenarios")
    exchanges: dict[str, list[StandInExchange]] = {}
    bridge = replay_bridge(store=store) if agent.url is not None else nullcontext()
    with ExitStack() as stack:
        stack.enter_context(bridge)
        standin = stack.enter_context(model_standin(llm, scenarios, llm_upstream))
        # Loaded only now, so that a module-level client sees the stand-in's base URL; then
        # the frameworks it imported are sealed (one not imported is never loaded for it).
        target = agent.load(scenarios[0].agent.model)
        stack.enter_context(sealed_frameworks(seal))
        # A hosted agent is started per scenario (each call's own variables): one at a time.
        concurrent = (
            len(scenarios) > 1 and concurrency > 1 and standin is None and agent.hosted is None
        )
        if concurrent and not simulation.watches:
            runs = replay_many(
                scenarios,
                target.factory,
                store,
                agent_label=target.label,
                options=options,
                concurrency=concurrency,
                on_done=on_run,
                score=simulation.score,
            )
        else:
            runs = []
            for scenario in scenarios:
                run = _replay_one(store, scenario, target, options, standin, simulation, exchanges)
                runs.append(run)
                if on_run is not None:
                    on_run(run)
                if run.status is RunStatus.INTERRUPTED:
                    break
        trial_runs: dict[str, list[ReplayRun]] = {}
        if trials > 1 and not any(r.status is RunStatus.INTERRUPTED for r in runs):
            for scenario, run in zip(scenarios, runs, strict=False):
                trial_runs[run.run_id] = [run] + [
                    _replay_one(store, scenario, target, options, standin, simulation)
                    for _ in range(trials - 1)
                ]
    return ReplayOutcome(list(scenarios[: len(runs)]), runs, agent, trial_runs, exchanges)


def _replay_one(
    store: SpanStore,
    scenario: Scenario,
    agent: AgentTarget,
    options: ReplayOptions,
    standin: StandIn | None,
    simulation: Simulation,
    exchanges: dict[str, list[StandInExchange]] | None = None,
) -> ReplayRun:
    if standin is not None:
        standin.load(scenario)
    steering = simulation.steering(scenario)

    def annotate(run: ReplayRun) -> ReplayRun:
        if standin is not None:
            run = mark_model_sources(run, standin)
        return steering.annotate(run) if steering is not None else run

    steer: Steer | None = steering
    run = replay_scenario(
        scenario,
        agent.factory_for(scenario),
        store,
        agent_label=agent.label,
        options=options,
        score=simulation.score,
        on_turn=standin.set_turn if standin is not None else None,
        annotate=annotate if standin is not None or steering is not None else None,
        llm_sources=answer_sources(standin) if standin is not None else None,
        steer=steer,
    )
    if standin is not None and exchanges is not None:
        exchanges[run.run_id] = standin.exchanges()
    return run


def case_options(options: ReplayOptions) -> CaseOptions:
    """A case is replayed the way its baseline was."""
    return CaseOptions(
        history=options.history,
        tool_mode=options.tool_mode,
        live_tools=sorted(options.live_tools),
    )


def check_cases_free(scenarios: Sequence[Scenario], folder: Path) -> None:
    """Before replaying for `--save` without `--force`: CaseExistsError when a case of these
    scenarios is already saved under `folder` (its baseline was approved)."""
    for scenario in scenarios:
        refuse_existing_case(case_folder(folder, scenario))


def save_cases(
    outcome: ReplayOutcome,
    folder: Path,
    options: ReplayOptions,
    *,
    store: SpanStore | None = None,
    force: bool = False,
    outcome_judge: str | None = None,
) -> list[Path]:
    """Save every run of the outcome as a regression case: its scenario, the run as its
    baseline, default expectations (the tool sequence per turn and a reply similarity) and
    the cassette of the run's LLM exchanges (the stand-in's log, else the run's stored trace
    when `store` is given). An existing case is replaced only with `force`.

    A run that stopped at a divergent turn or went on with a simulated user is saved with
    the scenario it played (`simulate.freeze`): its simulated turns become the case's
    turns, so `test` replays the same conversation without a user model. `outcome_judge`
    (the endpoint that checked the expected outcome) is kept in each case for its reruns."""
    if not force:
        check_cases_free(outcome.scenarios, folder)
    saved = []
    for scenario, run in zip(outcome.scenarios, outcome.runs, strict=True):
        exchanges = outcome.llm_exchanges.get(run.run_id)
        cassette = baseline_cassette(store, run, exchanges)
        saved.append(
            save_case(
                folder,
                played_scenario(scenario, run),
                run,
                default_expectations(run),
                case_options(options),
                outcome.agent.label,
                cassette=cassette,
                force=True,
                outcome_judge=outcome_judge,
            )
        )
    return saved
