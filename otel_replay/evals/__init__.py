"""Evaluators: named checks of a replay run, each yielding a `Score`."""

from otel_replay.evals.base import Arguments, Evaluator, Scope, TurnPair, Verdict
from otel_replay.evals.builtin import BUILTIN_EVALUATORS, BuiltinEvaluator
from otel_replay.evals.evaluate import (
    default_expectations,
    evaluate_run,
    list_evaluator_names,
    resolve_evaluator,
)
from otel_replay.evals.python import PYTHON_PREFIX, load_python_evaluator
from otel_replay.evals.score import Score, attach_scores, read_scores

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
    "attach_scores",
    "default_expectations",
    "evaluate_run",
    "list_evaluator_names",
    "load_python_evaluator",
    "read_scores",
    "resolve_evaluator",
]
