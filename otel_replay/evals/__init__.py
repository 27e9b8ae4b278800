"""Evaluators: named checks of a replay run, each yielding a `Score`."""

from otel_replay.core.runs import Score
from otel_replay.evals.base import Arguments, Evaluator, Scope, TurnPair, Verdict
from otel_replay.evals.builtin import BUILTIN_EVALUATORS, BuiltinEvaluator
from otel_replay.evals.evaluate import (
    default_expectations,
    evaluate_run,
    list_evaluator_names,
    resolve_evaluator,
)
from otel_replay.evals.python import PYTHON_PREFIX, load_python_evaluator

__all__ = [
    "BUILTIN_EVALUATORS",
    "PYTHON_PREFIX",
    "Arguments",
    "BuiltinEvaluator",
    "Evaluator",
    "Scope",
    "Score",
    "TurnPair",
    "Verdict",
    "default_expectations",
    "evaluate_run",
    "list_evaluator_names",
    "load_python_evaluator",
    "resolve_evaluator",
]
