"""Run a scenario's expectations over a replay run, and derive expectations from a run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import JsonValue

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import ReplayedTurn, ReplayRun, Score
from otel_replay.evals.base import Evaluator, Scope, TurnPair, parse_arguments
from otel_replay.evals.builtin import (
    BUILTIN_EVALUATORS,
    DEFAULT_THRESHOLDS,
    BuiltinEvaluator,
    SimilarityMethod,
)
from otel_replay.evals.python import PYTHON_PREFIX, load_python_evaluator
from otel_replay.scenario.model import Expectation, Scenario

DEFAULT_SIMILARITY_THRESHOLD = DEFAULT_THRESHOLDS[SimilarityMethod.LEXICAL]


def list_evaluator_names() -> list[str]:
    """The built-in evaluator names, sorted."""
    return sorted(BUILTIN_EVALUATORS)


def resolve_evaluator(name: str) -> Evaluator[Any]:
    """A built-in evaluator by name, or the user's for `python:MODULE:ATTR`."""
    if name.startswith(PYTHON_PREFIX):
        return load_python_evaluator(name)
    evaluator = BUILTIN_EVALUATORS.get(name)
    if evaluator is None:
        raise BadInputError(
            f"unknown evaluator {name!r}; valid evaluators: "
            f"{', '.join(list_evaluator_names())}, or python:MODULE:ATTR for your own"
        )
    return evaluator


def _pair(turn: ReplayedTurn) -> TurnPair | None:
    if turn.replayed is None:
        return None
    return TurnPair(turn.index, turn.user, turn.original, turn.replayed)


def _score_turn(
    expectation: Expectation, evaluator: Evaluator[Any], args: Any, turn: ReplayedTurn
) -> Score:
    pair = _pair(turn)
    if pair is None:
        reason = f": {turn.note}" if turn.note else ""
        detail = f"turn {turn.index + 1} was not replayed{reason}"
        return Score(evaluator=expectation.evaluator, turn=turn.index, passed=False, detail=detail)
    verdict = evaluator.check([pair], args)
    return Score(
        evaluator=expectation.evaluator,
        turn=turn.index,
        passed=verdict.passed,
        value=verdict.value,
        detail=verdict.detail,
    )


def check_expectations(expectations: Sequence[Expectation]) -> None:
    """Resolve every evaluator and parse its arguments; BadInputError for the first bad one."""
    for expectation in expectations:
        parse_arguments(resolve_evaluator(expectation.evaluator), expectation.args)


def evaluate_run(run: ReplayRun, expectations: Sequence[Expectation]) -> list[Score]:
    """Every expectation's scores, in expectation order then turn order.

    An expectation naming a turn scores that turn (failing if it was not replayed). Without
    a turn, a turn-level evaluator scores every replayed turn, a session-level one
    (`tool_called`, `tool_not_called`) scores all of them together. Every evaluator and its
    arguments are checked before anything runs: bad ones raise BadInputError.
    """
    by_index = {turn.index: turn for turn in run.turns}
    prepared: list[tuple[Expectation, Evaluator[Any], Any]] = []
    for expectation in expectations:
        evaluator = resolve_evaluator(expectation.evaluator)
        args = parse_arguments(evaluator, expectation.args)
        if expectation.turn is not None and expectation.turn not in by_index:
            raise BadInputError(
                f"evaluator {expectation.evaluator}: turn index {expectation.turn} is not in "
                f"run {run.run_id} (it has {len(run.turns)} turns, indexes from 0)"
            )
        prepared.append((expectation, evaluator, args))

    pairs = [pair for pair in map(_pair, run.turns) if pair is not None]
    scores: list[Score] = []
    for expectation, evaluator, args in prepared:
        if expectation.turn is not None:
            scores.append(_score_turn(expectation, evaluator, args, by_index[expectation.turn]))
        elif evaluator.scope is Scope.SESSION:
            verdict = evaluator.check(pairs, args)
            scores.append(
                Score(
                    evaluator=expectation.evaluator,
                    turn=None,
                    passed=verdict.passed,
                    value=verdict.value,
                    detail=verdict.detail,
                )
            )
        else:
            scores.extend(
                _score_turn(expectation, evaluator, args, turn)
                for turn in run.turns
                if turn.replayed is not None
            )
    return scores


def score_expectations(scenario: Scenario, run: ReplayRun) -> list[Score]:
    """The scores of a scenario's own `expectations` on a replay of it (a `Scorer`)."""
    return evaluate_run(run, scenario.expectations) if scenario.expectations else []


def default_expectations(run: ReplayRun) -> list[Expectation]:
    """Expectations that pin what the run's replay did, to save it as a regression case:
    per replayed turn, its tool-call names in order, and a lexical reply similarity of at
    least the calibrated default to its reply (the reply is carried in the expectation, so
    it holds whichever recording is the original).
    """
    expectations: list[Expectation] = []
    for turn in run.turns:
        if turn.replayed is None:
            continue
        names: list[JsonValue] = [call.name for call in turn.replayed.tool_calls]
        expectations.append(
            Expectation(
                evaluator=BuiltinEvaluator.TOOL_CALLS_EQUAL.value,
                turn=turn.index,
                args={"expected": names},
            )
        )
        expectations.append(
            Expectation(
                evaluator=BuiltinEvaluator.REPLY_SIMILARITY.value,
                turn=turn.index,
                args={
                    "threshold": DEFAULT_SIMILARITY_THRESHOLD,
                    "expected": turn.replayed.assistant or "",
                },
            )
        )
    return expectations
