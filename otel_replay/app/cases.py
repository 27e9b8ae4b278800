"""The regression-test use case: find saved cases, replay each against its agent, check it.

Cases replay against the model stand-in serving each case's cassette (`--llm hybrid` by
default): an unchanged agent is answered from the cassette, offline and the same every
time; only a request its baseline never made reaches the provider (`hybrid`) or fails
(`recorded`). `live` gives the agent its real provider.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from otel_replay.app.baselines import DEFAULT_CASES_FOLDER, approve_case_run
from otel_replay.app.models import (
    LlmMode,
    answer_sources,
    mark_model_sources,
    model_standin,
    served_recording,
)
from otel_replay.app.targets import AgentRef, AgentTarget
from otel_replay.core.errors import BadInputError
from otel_replay.regression.baselines import BaselineChange
from otel_replay.regression.cassette import (
    CassetteDocument,
    RecordMode,
    add_new_episodes,
    cassette_from_exchanges,
)
from otel_replay.regression.check import CaseResult, check_case, combine_trials
from otel_replay.regression.files import LoadedCase, find_case_folders, load_case, write_cassette
from otel_replay.regression.shard import Shard
from otel_replay.replay.adapters import sealed_frameworks
from otel_replay.replay.agents import load_agent
from otel_replay.replay.remote import replay_bridge
from otel_replay.simulate.model_client import UserModel
from otel_replay.simulate.outcome import OUTCOME_JUDGE_VARIABLE
from otel_replay.standin import StandIn, StandInExchange
from otel_replay.store.base import SpanStore

__all__ = [
    "DEFAULT_CASES_FOLDER",
    "CaseRunner",
    "CaseSuiteOutcome",
    "CaseTestSettings",
    "find_cases",
    "run_case",
    "run_cases",
]

OnResult = Callable[[CaseResult], None]


@dataclass(frozen=True)
class CaseTestSettings:
    """How `otel-replay test` (and the pytest plugin) run cases."""

    agent: str | None = None  # MODULE:ATTR or an endpoint URL; default: each case's own
    llm: LlmMode = LlmMode.HYBRID
    llm_upstream: str | None = None
    record_mode: RecordMode = RecordMode.NONE
    trials: int = 1
    update_baseline: bool = False
    search_path: str | None = None  # where MODULE:ATTR agents are imported from
    # The endpoint that judges each case's expected outcome; default $OTEL_REPLAY_OUTCOME_JUDGE,
    # else the case's own `outcome_judge` (see `outcome_judge_for`).
    outcome_judge: str | None = None

    def outcome_judge_for(self, loaded: LoadedCase) -> UserModel | None:
        """The judge of a case's expected outcome: this setting, else the environment's,
        else the one saved with the case; None when none is named (a case with an
        `outcome_rule` needs none)."""
        url = (
            self.outcome_judge
            or os.environ.get(OUTCOME_JUDGE_VARIABLE)
            or loaded.case.outcome_judge
        )
        return UserModel.at(url) if url else None

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise BadInputError(f"trials must be at least 1, not {self.trials}")
        if self.llm is LlmMode.LIVE and self.record_mode is not RecordMode.NONE:
            raise BadInputError(
                f"--record-mode {self.record_mode.value} records what the model stand-in "
                "serves: use it with --llm hybrid or --llm recorded"
            )


@dataclass(frozen=True)
class CaseSuiteOutcome:
    """Every case's result, in folder order; what approving and recording changed."""

    results: list[CaseResult]
    baseline_changes: list[BaselineChange] = field(default_factory=list)
    cassettes_written: list[Path] = field(default_factory=list)

    @property
    def baselines_updated(self) -> bool:
        return bool(self.baseline_changes)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)

    @property
    def passed(self) -> int:
        return len(self.results) - self.failed


def find_cases(paths: Iterable[str | Path], shard: Shard | None = None) -> list[LoadedCase]:
    """Every regression case at or below the paths (default: ./otel-replay-cases), loaded;
    with `shard`, only the cases of that shard (see `regression.shard`)."""
    roots = [Path(p) for p in paths] or [Path(DEFAULT_CASES_FOLDER)]
    folders = find_case_folders(roots)
    if not folders:
        named = ", ".join(str(p) for p in roots)
        raise BadInputError(f"no regression cases (case.json) under {named}")
    if shard is not None:
        folders = shard.select(folders)
    return [load_case(folder) for folder in folders]


class CaseRunner:
    """Runs cases one by one against one model stand-in (started on the first case, so a
    module-level model client of the agent sees its address) and one agent per spec.
    Use as a context manager; `close()` stops the stand-in and restores the environment."""

    def __init__(self, store: SpanStore, settings: CaseTestSettings | None = None) -> None:
        self.store = store
        self.settings = settings or CaseTestSettings()
        self._stack = ExitStack()
        self._started = False
        self._standin: StandIn | None = None
        self._targets: dict[str, AgentTarget] = {}
        self._between_cases: dict[str, str | None] = {}

    def __enter__(self) -> CaseRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    def _start(self, loaded: LoadedCase) -> StandIn | None:
        if not self._started:
            before = dict(os.environ)
            self._standin = self._stack.enter_context(
                model_standin(self.settings.llm, [loaded.scenario], self.settings.llm_upstream)
            )
            self._started = True
            if self._standin is not None:
                # Pointed at the stand-in only while a case runs: in a pytest session the
                # project's other tests run in between, and must see their own settings.
                self._between_cases = {n: before.get(n) for n in self._standin.env()}
                _set_environ(self._between_cases)
        return self._standin

    @contextmanager
    def _pointed_at(self, standin: StandIn | None) -> Iterator[None]:
        if standin is None:
            yield
            return
        _set_environ(dict(standin.env()))
        try:
            yield
        finally:
            _set_environ(self._between_cases)

    def _target(self, loaded: LoadedCase) -> AgentTarget:
        spec = self.settings.agent or loaded.case.agent
        if spec is None:
            raise BadInputError(
                f"{loaded.folder}: the case names no agent: pass --agent MODULE:ATTR or URL"
            )
        if spec not in self._targets:
            ref = AgentRef.parse(spec)
            if ref.module is not None:
                factory = load_agent(ref.module, search_path=self.settings.search_path)
                self._targets[spec] = AgentTarget(factory, ref)
            else:
                self._targets[spec] = ref.load(loaded.scenario.agent.model)
        return self._targets[spec]

    def _trial(
        self, loaded: LoadedCase, target: AgentTarget, standin: StandIn | None
    ) -> tuple[CaseResult, list[StandInExchange] | None]:
        judge = self.settings.outcome_judge_for(loaded)
        if standin is None:
            result = check_case(
                loaded,
                target.factory_for(loaded.scenario),
                self.store,
                agent_label=target.label,
                outcome_judge=judge,
            )
            return result, None
        standin.load(served_recording(loaded))
        result = check_case(
            loaded,
            target.factory_for(loaded.scenario),
            self.store,
            agent_label=target.label,
            on_turn=standin.set_turn,
            annotate=lambda run: mark_model_sources(run, standin),
            llm_sources=answer_sources(standin),
            outcome_judge=judge,
        )
        return result, standin.exchanges()

    def run(self, loaded: LoadedCase) -> CaseRun:
        """Replay the case (`trials` times), check it, then record or approve as set."""
        standin = self._start(loaded)
        with self._pointed_at(standin):
            target = self._target(loaded)
            # Sealed as in `replay`: the frameworks the agent imported, and an HTTP agent's
            # spans and tool calls through the loopback bridge.
            bridge = replay_bridge(store=self.store) if target.ref.url else nullcontext()
            with sealed_frameworks(), bridge:
                trials = [self._trial(loaded, target, standin) for _ in range(self.settings.trials)]
        result = combine_trials([r for r, _ in trials])
        exchanges = trials[0][1]
        if self.settings.update_baseline:
            change = approve_case_run(self.store, loaded, result.run, exchanges)
            return CaseRun(result, change=change)
        cassette = _recorded_cassette(
            loaded, result.run.run_id, exchanges, self.settings.record_mode
        )
        if cassette is not None:
            write_cassette(loaded.folder, cassette)
            return CaseRun(result, cassette_written=loaded.folder)
        return CaseRun(result)


def _set_environ(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@dataclass(frozen=True)
class CaseRun:
    """One case's result, and what running it wrote."""

    result: CaseResult
    change: BaselineChange | None = None
    cassette_written: Path | None = None


def _recorded_cassette(
    loaded: LoadedCase,
    run_id: str,
    exchanges: Sequence[StandInExchange] | None,
    mode: RecordMode,
) -> CassetteDocument | None:
    """The cassette `mode` writes after a run served by the stand-in; None: no write. A case
    without a cassette gets one of the whole run in either recording mode."""
    if exchanges is None or mode is RecordMode.NONE:
        return None
    if mode is RecordMode.NEW_EPISODES and loaded.cassette is not None:
        return add_new_episodes(loaded.cassette, exchanges)
    return cassette_from_exchanges(loaded.scenario.name, run_id, exchanges)


def run_cases(
    store: SpanStore,
    cases: Iterable[LoadedCase],
    settings: CaseTestSettings | None = None,
    *,
    on_result: OnResult | None = None,
) -> CaseSuiteOutcome:
    """Replay every case and check it (see `CaseTestSettings`); with `update_baseline`, each
    run becomes its case's approved baseline, expectations and cassette."""
    results: list[CaseResult] = []
    changes: list[BaselineChange] = []
    written: list[Path] = []
    with CaseRunner(store, settings) as runner:
        for loaded in cases:
            done = runner.run(loaded)
            results.append(done.result)
            if done.change is not None:
                changes.append(done.change)
            if done.cassette_written is not None:
                written.append(done.cassette_written)
            if on_result is not None:
                on_result(done.result)
    return CaseSuiteOutcome(results, changes, written)


def run_case(store: SpanStore, loaded: LoadedCase, agent: str | None = None) -> CaseResult:
    """One case, checked."""
    return run_cases(store, [loaded], CaseTestSettings(agent=agent)).results[0]
