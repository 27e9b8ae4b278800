from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import JsonValue

from otel_replay.core.errors import BadInputError
from otel_replay.evals import Score, evaluate_run
from otel_replay.scenario.model import Expectation
from tests.evals.runs import IN_TRANSIT, REFUNDED, incident_run

MODULE = "replay_checks_under_test"

CHECKS = """
from otel_replay.evals import Score


def no_refunds(original, replayed):
    return all(call.name != "issue_refund" for call in replayed.tool_calls)


def shorter(original, replayed):
    return len(replayed.assistant or "") / max(1, len(original.assistant or ""))


def mentions(original, replayed, word, case=True):
    text = replayed.assistant or ""
    found = word in (text if case else text.lower())
    return Score(evaluator="ignored", turn=99, passed=found, value=None, detail=f"{word}: {found}")


def broken(original, replayed):
    raise ValueError("no model configured")


def wrong_type(original, replayed):
    return "yes"


class Checks:
    @staticmethod
    def polite(original, replayed):
        return "welcome" in (replayed.assistant or "")


NOT_CALLABLE = 3
"""


@pytest.fixture
def checks_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / f"{MODULE}.py").write_text(textwrap.dedent(CHECKS))
    monkeypatch.syspath_prepend(tmp_path)
    yield MODULE
    sys.modules.pop(MODULE, None)


def run_check(attribute: str, turn: int | None = 3, **args: JsonValue) -> list[Score]:
    name = f"python:{MODULE}:{attribute}"
    return evaluate_run(incident_run(), [Expectation(evaluator=name, turn=turn, args=args)])


def test_bool_result_is_the_verdict(checks_module: str) -> None:
    scores = run_check("no_refunds", turn=None)

    assert [(s.turn, s.passed) for s in scores] == [(i, True) for i in range(5)]
    assert scores[0] == Score(
        evaluator=f"python:{MODULE}:no_refunds",
        turn=0,
        passed=True,
        value=None,
        detail="returned True",
    )


def test_number_result_passes_from_the_threshold(checks_module: str) -> None:
    # The replayed reply of turn 4 against the original's: 41 / 26 characters.
    ratio = len(IN_TRANSIT) / len(REFUNDED)

    default = run_check("shorter")
    strict = run_check("shorter", threshold=2.0)

    assert [(s.passed, s.value, s.detail) for s in default] == [
        (True, ratio, f"{ratio:g} >= threshold 0.5")
    ]
    assert [(s.passed, s.detail) for s in strict] == [(False, f"{ratio:g} < threshold 2")]


def test_score_result_keeps_its_verdict_and_other_arguments_are_passed(
    checks_module: str,
) -> None:
    found = run_check("mentions", word="transit")
    folded = run_check("mentions", word="order", case=False)
    missing = run_check("mentions", word="refund")

    assert found == [
        Score(
            evaluator=f"python:{MODULE}:mentions",
            turn=3,
            passed=True,
            value=None,
            detail="transit: True",
        )
    ]
    assert folded[0].passed
    assert (missing[0].passed, missing[0].detail) == (False, "refund: False")


def test_dotted_attribute_is_looked_up(checks_module: str) -> None:
    scores = run_check("Checks.polite", turn=None)

    assert [s.passed for s in scores] == [False, False, False, False, True]


def test_evaluator_that_raises_fails_its_score(checks_module: str) -> None:
    assert [(s.passed, s.detail) for s in run_check("broken")] == [
        (False, "raised ValueError: no model configured")
    ]


def test_evaluator_returning_something_else_fails(checks_module: str) -> None:
    assert [(s.passed, s.detail) for s in run_check("wrong_type")] == [
        (False, "returned str; expected a bool, a number or a Score")
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            f"python:{MODULE}:missing",
            f"evaluator python:{MODULE}:missing: {MODULE} has no attribute missing",
        ),
        (
            f"python:{MODULE}:NOT_CALLABLE",
            f"evaluator python:{MODULE}:NOT_CALLABLE: {MODULE}:NOT_CALLABLE is not callable",
        ),
        (
            "python:no_such_module_xyz:check",
            "evaluator python:no_such_module_xyz:check: cannot import no_such_module_xyz: "
            "ModuleNotFoundError: No module named 'no_such_module_xyz'",
        ),
        (
            f"python:{MODULE}",
            f"evaluator python:{MODULE}: write python:MODULE:ATTR, "
            "e.g. python:my_checks.support:polite",
        ),
    ],
)
def test_unloadable_evaluator_is_bad_input(checks_module: str, name: str, message: str) -> None:
    with pytest.raises(BadInputError) as raised:
        evaluate_run(incident_run(), [Expectation(evaluator=name)])

    assert str(raised.value) == message
