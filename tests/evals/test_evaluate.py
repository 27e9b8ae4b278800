from __future__ import annotations

import dataclasses
import json

import pytest

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import ReplayRun
from otel_replay.evals import (
    Scope,
    Score,
    default_expectations,
    evaluate_run,
    resolve_evaluator,
)
from otel_replay.evals.similarity import LEXICAL_THRESHOLD
from otel_replay.replay.runner import load_run, run_record
from otel_replay.scenario.model import Expectation
from tests.evals.runs import GREETING, IN_TRANSIT, REFUNDED, incident_run, make_run, side

VALID_NAMES = (
    "latency_budget, llm_judge, reply_is_json, reply_matches_schema, reply_similarity, "
    "token_budget, tool_called, tool_calls_equal, tool_not_called"
)


def test_unknown_evaluator_lists_the_valid_names() -> None:
    with pytest.raises(BadInputError) as raised:
        evaluate_run(incident_run(), [Expectation(evaluator="tool_call_equal")])

    assert str(raised.value) == (
        f"unknown evaluator 'tool_call_equal'; valid evaluators: {VALID_NAMES}, "
        "or python:MODULE:ATTR for your own"
    )


def test_only_tool_presence_checks_are_session_level() -> None:
    session_level = {
        name
        for name in (
            "tool_calls_equal",
            "tool_called",
            "tool_not_called",
            "reply_similarity",
            "latency_budget",
            "token_budget",
            "reply_is_json",
            "reply_matches_schema",
            "llm_judge",
        )
        if resolve_evaluator(name).scope is Scope.SESSION
    }

    assert session_level == {"tool_called", "tool_not_called"}


def test_bad_arguments_are_named() -> None:
    with pytest.raises(BadInputError) as raised:
        evaluate_run(
            incident_run(), [Expectation(evaluator="latency_budget", args={"max_msec": 5})]
        )

    assert str(raised.value) == (
        "evaluator latency_budget: bad arguments: max_ms: Field required; "
        "max_msec: Extra inputs are not permitted"
    )


def test_bad_expectation_fails_before_any_evaluation() -> None:
    expectations = [
        Expectation(evaluator="reply_similarity"),
        Expectation(evaluator="no_such_check"),
    ]

    with pytest.raises(BadInputError, match="no_such_check"):
        evaluate_run(incident_run(), expectations)


def test_turn_outside_the_run_is_bad_input() -> None:
    with pytest.raises(BadInputError) as raised:
        evaluate_run(incident_run(), [Expectation(evaluator="reply_is_json", turn=5)])

    assert str(raised.value) == (
        "evaluator reply_is_json: turn index 5 is not in run run-1 (it has 5 turns, indexes from 0)"
    )


def partly_replayed_run() -> ReplayRun:
    return make_run(
        [
            (None, side("Welcome!"), None),
            ("Hello!", side(GREETING), side(GREETING)),
        ]
    )


def test_expectation_on_a_turn_not_replayed_fails() -> None:
    scores = evaluate_run(
        partly_replayed_run(), [Expectation(evaluator="reply_similarity", turn=0)]
    )

    assert scores == [
        Score(
            evaluator="reply_similarity",
            turn=0,
            passed=False,
            detail="turn 1 was not replayed: no user message recorded: turn not replayed",
        )
    ]


def test_expectation_without_a_turn_skips_turns_not_replayed() -> None:
    scores = evaluate_run(partly_replayed_run(), [Expectation(evaluator="reply_similarity")])

    assert [(s.turn, s.passed) for s in scores] == [(1, True)]


def test_scores_come_in_expectation_then_turn_order() -> None:
    run = make_run(
        [
            ("a", side(GREETING), side(GREETING)),
            ("b", side(REFUNDED, "issue_refund"), side(IN_TRANSIT, "check_status")),
        ]
    )
    expectations = [
        Expectation(evaluator="tool_not_called", args={"tool": "issue_refund"}),
        Expectation(evaluator="tool_calls_equal"),
        Expectation(evaluator="reply_is_json", turn=0),
    ]

    scores = evaluate_run(run, expectations)

    assert [(s.evaluator, s.turn, s.passed) for s in scores] == [
        ("tool_not_called", None, True),
        ("tool_calls_equal", 0, True),
        ("tool_calls_equal", 1, False),
        ("reply_is_json", 0, False),
    ]


def test_default_expectations_pin_the_replayed_tool_calls() -> None:
    run = make_run(
        [
            (None, side("Welcome!"), None),
            ("late?", side(REFUNDED, "issue_refund"), side(IN_TRANSIT, "check_status")),
            ("Thanks.", side("Bye"), side("Bye")),
        ]
    )

    assert default_expectations(run) == [
        Expectation(evaluator="tool_calls_equal", turn=1, args={"expected": ["check_status"]}),
        Expectation(
            evaluator="reply_similarity",
            turn=1,
            args={"threshold": LEXICAL_THRESHOLD, "expected": IN_TRANSIT},
        ),
        Expectation(evaluator="tool_calls_equal", turn=2, args={"expected": []}),
        Expectation(
            evaluator="reply_similarity",
            turn=2,
            args={"threshold": LEXICAL_THRESHOLD, "expected": "Bye"},
        ),
    ]


def test_default_expectations_catch_the_old_behaviour_coming_back() -> None:
    fixed = incident_run()
    expectations = default_expectations(fixed)
    # The buggy agent replayed: a run whose replayed side refunds again.
    regressed = make_run(
        [(t.user, t.original, t.original if t.index == 3 else t.replayed) for t in fixed.turns]
    )

    fixed_scores = evaluate_run(fixed, expectations)
    regressed_scores = evaluate_run(regressed, expectations)

    assert len(fixed_scores) == 10
    assert all(s.passed for s in fixed_scores)
    assert [(s.evaluator, s.turn) for s in regressed_scores if not s.passed] == [
        ("tool_calls_equal", 3),
        ("reply_similarity", 3),
    ]


def test_attached_scores_survive_the_run_json() -> None:
    run = incident_run()
    scores = evaluate_run(run, [Expectation(evaluator="tool_calls_equal", turn=3)])

    scored = run.with_scores(scores)
    reloaded = ReplayRun.model_validate_json(scored.model_dump_json())

    assert [s.model_dump() for s in scored.scores] == [
        {
            "evaluator": "tool_calls_equal",
            "turn": 3,
            "passed": False,
            "value": None,
            "detail": "called [check_status], original [issue_refund]",
        }
    ]
    assert reloaded.scores == scores
    assert run.scores == []
    assert scored.with_scores([]).scores == []


def test_malformed_stored_score_is_bad_input() -> None:
    stored = incident_run().model_dump(mode="json")
    stored["scores"] = [{"evaluator": "x"}]
    record = dataclasses.replace(run_record(incident_run()), result_json=json.dumps(stored))

    with pytest.raises(BadInputError, match="run run-1 is malformed"):
        load_run(record)
