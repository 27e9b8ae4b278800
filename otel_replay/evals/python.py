"""User-written evaluators named `python:MODULE:ATTR`.

The callable gets the original and the replayed side of one turn (`TurnSide`) and returns
a bool, a number or a `Score` (whose evaluator and turn are replaced by the
expectation's). A number passes when it reaches the expectation's
`threshold` argument (default 0.5); any other arguments are passed as keyword arguments.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import Score
from otel_replay.evals.base import Evaluator, Scope, TurnPair, Verdict

PYTHON_PREFIX = "python:"
DEFAULT_THRESHOLD = 0.5


class PythonArguments(BaseModel):
    """`threshold` for numeric results; everything else goes to the callable."""

    model_config = ConfigDict(extra="allow", frozen=True)

    threshold: float = DEFAULT_THRESHOLD


def _verdict_from(result: object, threshold: float) -> Verdict:
    if isinstance(result, Score):
        return Verdict(result.passed, result.value, result.detail)
    # bool first: it is an int too.
    if isinstance(result, bool):
        return Verdict(result, None, f"returned {result}")
    if isinstance(result, int | float):
        passed = result >= threshold
        relation = ">=" if passed else "<"
        return Verdict(passed, float(result), f"{result:g} {relation} threshold {threshold:g}")
    return Verdict(
        False, None, f"returned {type(result).__name__}; expected a bool, a number or a Score"
    )


def _import_target(name: str, module_name: str, attribute: str) -> Callable[..., object]:
    try:
        target: object = importlib.import_module(module_name)
    except Exception as exc:  # user code: any error while importing is bad input
        raise BadInputError(
            f"evaluator {name}: cannot import {module_name}: {type(exc).__name__}: {exc}"
        ) from exc
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise BadInputError(f"evaluator {name}: {module_name} has no attribute {attribute}")
        target = getattr(target, part)
    if not callable(target):
        raise BadInputError(f"evaluator {name}: {module_name}:{attribute} is not callable")
    return target


def load_python_evaluator(name: str) -> Evaluator[PythonArguments]:
    """The evaluator a `python:MODULE:ATTR` name points to (ATTR may be dotted)."""
    module_name, _, attribute = name.removeprefix(PYTHON_PREFIX).partition(":")
    if not module_name or not attribute:
        raise BadInputError(
            f"evaluator {name}: write python:MODULE:ATTR, e.g. python:my_checks.support:polite"
        )
    function = _import_target(name, module_name, attribute)

    def check(pairs: Sequence[TurnPair], args: PythonArguments) -> Verdict:
        pair = pairs[0]
        try:
            result = function(pair.original, pair.replayed, **(args.model_extra or {}))
        except Exception as exc:  # a bug in one check should not stop the others
            return Verdict(False, None, f"raised {type(exc).__name__}: {exc}")
        return _verdict_from(result, args.threshold)

    return Evaluator(name, f"{module_name}:{attribute}", Scope.TURN, PythonArguments, check)
