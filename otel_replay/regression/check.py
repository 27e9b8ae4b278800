"""Rerun a regression case and check it against its approved baseline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from otel_replay.core.runs import OUTCOME_EVALUATOR, ReplayRun, Score
from otel_replay.diff.transcript import diff_run_transcripts, format_tool_change
from otel_replay.evals.evaluate import evaluate_run
from otel_replay.regression.files import LoadedCase
from otel_replay.replay.agents import AgentFactory
from otel_replay.replay.matchers import ToolMatchMode
from otel_replay.replay.runner import OnTurn, ReplayOptions, replay_scenario
from otel_replay.simulate.model_client import UserModel
from otel_replay.simulate.outcome import check_outcome
from otel_replay.store.base import SpanStore

# Shown when a case states an expected outcome that nothing can check on this rerun.
NO_OUTCOME_JUDGE = (
    "expected outcome not checked: no judge (pass --outcome-judge URL, set "
    "$OTEL_REPLAY_OUTCOME_JUDGE, or write outcome_judge in case.json)"
)


@dataclass(frozen=True)
class Failure:
    """One failed expectation: which turn, what was expected, what happened, the diff."""

    evaluator: str
    turn: int | None
    detail: str
    expected: str
    happened: str
    diff: str | None

    def describe(self) -> str:
        where = f"turn {self.turn + 1}" if self.turn is not None else "session"
        lines = [f"{where}: {self.evaluator} failed: {self.detail}"]
        lines.append(f"  expected: {self.expected}")
        lines.append(f"  happened: {self.happened}")
        if self.diff:
            lines.append(f"  diff:     {self.diff}")
        return "\n".join(lines)


@dataclass(frozen=True)
class CaseResult:
    name: str
    run: ReplayRun  # rebased: each turn's `original` is the approved baseline's reply
    scores: list[Score]
    failures: list[Failure] = field(default_factory=list)
    duration_seconds: float = 0.0
    trials: int = 1
    # Why the scenario's expected outcome was not checked although it states one.
    outcome_unchecked: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def outcome(self) -> Score | None:
        """The expected-outcome check of this rerun, when there was one."""
        return next((s for s in self.scores if s.evaluator == OUTCOME_EVALUATOR), None)

    def outcome_line(self) -> str | None:
        """`expected outcome reached|not reached: why`, or why it was not checked."""
        outcome = self.outcome
        if outcome is None:
            return self.outcome_unchecked
        verdict = "reached" if outcome.passed else "NOT reached"
        return f"expected outcome {verdict}: {outcome.detail}"

    def describe(self) -> str:
        over = f", {self.trials} trials" if self.trials > 1 else ""
        outcome = self.outcome_line()
        tail = f"\n  {outcome}" if outcome else ""
        if self.passed:
            return f"PASS {self.name} ({len(self.scores)} checks{over}){tail}"
        body = "\n".join(f.describe() for f in self.failures)
        return (
            f"FAIL {self.name} ({len(self.failures)} of {len(self.scores)} checks failed{over})"
            f"{tail}\n{body}"
        )


def rebase_on_baseline(run: ReplayRun, baseline: ReplayRun) -> ReplayRun:
    """The run with each turn's `original` side replaced by the baseline's replayed side, so
    that evaluators compare against what was approved, not against the buggy recording."""
    approved = {t.index: t.replayed for t in baseline.turns if t.replayed is not None}
    turns = [
        t.model_copy(update={"original": approved[t.index]}) if t.index in approved else t
        for t in run.turns
    ]
    return run.model_copy(update={"turns": turns})


def _side_text(run: ReplayRun, turn: int | None, replayed: bool) -> str:
    if turn is None:
        return "(whole session)"
    found = next((t for t in run.turns if t.index == turn), None)
    if found is None:
        return "(turn not replayed)"
    side = found.replayed if replayed else found.original
    if found.error and replayed:
        return f"error: {found.error}"
    if side is None:
        return "(nothing)"
    tools = ", ".join(c.name for c in side.tool_calls) or "no tools"
    return f"[{tools}] {side.assistant!r}"


def _expected(loaded: LoadedCase, score: Score, rebased: ReplayRun) -> str:
    user = loaded.scenario.user
    if score.evaluator == OUTCOME_EVALUATOR and user is not None:
        if user.outcome_rule:
            return f"{user.expected_outcome or 'the outcome'} (decided by {user.outcome_rule})"
        return user.expected_outcome or "(no outcome stated)"
    return _side_text(rebased, score.turn, replayed=False)


def _happened(score: Score, rebased: ReplayRun) -> str:
    if score.evaluator != OUTCOME_EVALUATOR:
        return _side_text(rebased, score.turn, replayed=True)
    # The outcome is the whole conversation's: every turn's tools, and where it ended.
    sides = [(t, t.replayed) for t in rebased.turns if t.replayed is not None]
    if not sides:
        return "(no turn was replayed)"
    tools = ", ".join(c.name for _, side in sides for c in side.tool_calls) or "no tools"
    last, side = sides[-1]
    return (
        f"{len(sides)} turn(s) replayed [{tools}]; last, turn {last.index + 1} "
        f"({last.origin.value}): {side.assistant!r}"
    )


def _outcome_unchecked(loaded: LoadedCase, judge: UserModel | None) -> str | None:
    user = loaded.scenario.user
    if user is None or user.outcome_rule or not user.expected_outcome or judge is not None:
        return None
    return NO_OUTCOME_JUDGE


def check_case(
    loaded: LoadedCase,
    factory: AgentFactory,
    store: SpanStore,
    *,
    agent_label: str,
    on_turn: OnTurn | None = None,
    annotate: Callable[[ReplayRun], ReplayRun] | None = None,
    llm_sources: Callable[[int], Sequence[str]] | None = None,
    outcome_judge: UserModel | None = None,
) -> CaseResult:
    """Replay the case's scenario, evaluate its expectations against the baseline, then its
    scenario's expected outcome (`user.outcome_rule`, else `outcome_judge` against
    `user.expected_outcome`; see `simulate.outcome`), which fails the case when not reached.
    `on_turn` and `annotate` are the replay's hooks (the model stand-in's turn and marks)."""
    options = loaded.case.options

    def score(_scenario: object, run: ReplayRun) -> list[Score]:
        scores = evaluate_run(rebase_on_baseline(run, loaded.baseline), loaded.case.expectations)
        outcome = check_outcome(loaded.scenario, run, outcome_judge)
        return [*scores, outcome] if outcome is not None else scores

    run = replay_scenario(
        loaded.scenario,
        factory,
        store,
        agent_label=agent_label,
        options=ReplayOptions(
            history=options.history,
            tool_mode=ToolMatchMode(options.tool_mode),
            live_tools=frozenset(options.live_tools),
        ),
        # Scored once, against the approved baseline, and stored with those scores.
        score=score,
        on_turn=on_turn,
        annotate=annotate,
        llm_sources=llm_sources,
    )
    rebased = rebase_on_baseline(run, loaded.baseline)
    scores = run.scores
    changes = {t.number - 1: format_tool_change(t) for t in diff_run_transcripts(rebased).turns}
    failures = [
        Failure(
            evaluator=s.evaluator,
            turn=s.turn,
            detail=s.detail,
            expected=_expected(loaded, s, rebased),
            happened=_happened(s, rebased),
            diff=changes.get(s.turn) if s.turn is not None else None,
        )
        for s in scores
        if not s.passed
    ]
    duration = (run.ended_unix_nano - run.started_unix_nano) / 1e9
    return CaseResult(
        loaded.name,
        rebased.with_scores(scores),
        scores,
        failures,
        duration,
        outcome_unchecked=_outcome_unchecked(loaded, outcome_judge),
    )


def _check_keys(scores: Sequence[Score]) -> list[tuple[str, int | None, int]]:
    """A key per score that names the same check in every trial: evaluator, turn, and the
    how-many-th score of that evaluator and turn it is."""
    seen: Counter[tuple[str, int | None]] = Counter()
    keys = []
    for score in scores:
        seen[(score.evaluator, score.turn)] += 1
        keys.append((score.evaluator, score.turn, seen[(score.evaluator, score.turn)]))
    return keys


def combine_trials(results: Sequence[CaseResult]) -> CaseResult:
    """Several trials of one case as one result: a check fails only when it failed in a
    majority of the trials (more than half), so a check that fails now and then, within the
    agent's own run-to-run spread, does not fail the case. The first trial is the result's
    run; a failure names how many trials it failed in."""
    first = results[0]
    if len(results) == 1:
        return first
    failed: Counter[tuple[str, int | None, int]] = Counter()
    failure_of: dict[tuple[str, int | None, int], Failure] = {}
    for result in results:
        by_check = {(f.evaluator, f.turn): f for f in result.failures}
        for key, score in zip(_check_keys(result.scores), result.scores, strict=True):
            if not score.passed:
                failed[key] += 1
                found = by_check.get((score.evaluator, score.turn))
                if found is not None:
                    failure_of.setdefault(key, found)
    total = len(results)
    scores: list[Score] = []
    failures: list[Failure] = []
    for key, score in zip(_check_keys(first.scores), first.scores, strict=True):
        count = failed[key]
        verdict = count * 2 > total
        note = f" (failed in {count} of {total} trials)" if count else ""
        scores.append(score.model_copy(update={"passed": verdict, "detail": score.detail + note}))
        if verdict and key in failure_of:
            failures.append(replace(failure_of[key], detail=failure_of[key].detail + note))
    return CaseResult(
        first.name,
        first.run.with_scores(scores),
        scores,
        failures,
        sum(r.duration_seconds for r in results),
        trials=total,
        outcome_unchecked=first.outcome_unchecked,
    )
