from __future__ import annotations

from typing import Any

import pytest
from pydantic import JsonValue

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import ReplayRun, TurnSide
from otel_replay.evals import BuiltinEvaluator, Score, evaluate_run, list_evaluator_names
from otel_replay.evals.similarity import LEXICAL_THRESHOLD
from otel_replay.scenario.model import Expectation
from tests.evals.runs import IN_TRANSIT, incident_run, one_turn_run, side


def expect(name: str, turn: int | None = None, **args: JsonValue) -> Expectation:
    return Expectation(evaluator=name, turn=turn, args=args)


def score_one(run: ReplayRun, name: str, turn: int | None = None, **args: JsonValue) -> Score:
    scores = evaluate_run(run, [expect(name, turn, **args)])
    assert len(scores) == 1
    return scores[0]


def on_reply(reply: str | None, name: str, **args: JsonValue) -> Score:
    return score_one(one_turn_run(side("x"), side(reply)), name, **args)


def outcome(score: Score) -> tuple[bool, float | None, str]:
    return score.passed, score.value, score.detail


def test_every_builtin_evaluator_is_registered() -> None:
    assert list_evaluator_names() == sorted(e.value for e in BuiltinEvaluator)


def test_tool_calls_equal_compares_names_with_the_original() -> None:
    scores = evaluate_run(incident_run(), [expect("tool_calls_equal")])

    assert [(s.turn, s.passed) for s in scores] == [
        (0, True),
        (1, True),
        (2, True),
        (3, False),
        (4, True),
    ]
    assert scores[2].detail == "called [check_status] as original"
    assert scores[3].detail == "called [check_status], original [issue_refund]"


def test_tool_calls_equal_against_expected_names() -> None:
    run = incident_run()

    passed = score_one(run, "tool_calls_equal", 3, expected=["check_status"])
    failed = score_one(run, "tool_calls_equal", 3, expected=["check_status", "notify"])

    assert outcome(passed) == (True, None, "called [check_status] as expected")
    assert outcome(failed) == (
        False,
        None,
        "called [check_status], expected [check_status, notify]",
    )


def test_tool_calls_equal_with_arguments() -> None:
    same = one_turn_run(side("a", "check_status"), side("a", "check_status"))
    other_order = one_turn_run(
        side("a", "check_status"), side("a", "check_status", arguments={"order_id": "456"})
    )

    assert score_one(same, "tool_calls_equal", arguments=True).passed
    assert outcome(score_one(other_order, "tool_calls_equal", arguments=True)) == (
        False,
        None,
        'check_status called with {"order_id": "456"}, original {"order_id": "123"}',
    )
    # Names alone still agree.
    assert score_one(other_order, "tool_calls_equal").passed


def test_tool_calls_equal_refuses_expected_with_arguments() -> None:
    with pytest.raises(BadInputError, match="compares with the original's calls"):
        evaluate_run(incident_run(), [expect("tool_calls_equal", expected=[], arguments=True)])


def test_tool_called_over_the_session_and_in_one_turn() -> None:
    run = incident_run()

    assert outcome(score_one(run, "tool_called", tool="check_status")) == (
        True,
        2.0,
        "check_status called in turns 3, 4",
    )
    assert outcome(score_one(run, "tool_called", tool="issue_refund")) == (
        False,
        0.0,
        "issue_refund not called in any turn",
    )
    in_turn_4 = score_one(run, "tool_called", 3, tool="check_status")
    assert (in_turn_4.turn, *outcome(in_turn_4)) == (3, True, 1.0, "check_status called in turn 4")
    assert outcome(score_one(run, "tool_called", 0, tool="check_status")) == (
        False,
        0.0,
        "check_status not called in turn 1",
    )


def test_tool_not_called_passes_only_without_a_call() -> None:
    run = incident_run()

    refund = score_one(run, "tool_not_called", tool="issue_refund")
    status = score_one(run, "tool_not_called", tool="check_status")

    assert (refund.turn, *outcome(refund)) == (
        None,
        True,
        0.0,
        "issue_refund not called in any turn",
    )
    assert outcome(status) == (False, 2.0, "check_status called in turns 3, 4")
    assert score_one(run, "tool_not_called", 4, tool="check_status").passed


def test_tool_called_needs_a_tool() -> None:
    with pytest.raises(BadInputError, match="evaluator tool_called: bad arguments: tool: Field"):
        evaluate_run(incident_run(), [expect("tool_called")])


def test_reply_similarity_default_threshold_is_the_calibrated_one() -> None:
    scores = evaluate_run(incident_run(), [expect("reply_similarity")])

    assert [(s.passed, s.value) for s in scores] == [
        (True, 1.0),
        (True, 1.0),
        (True, 1.0),
        # "I have refunded order 123." against "Order 123 is in transit, arriving Friday."
        (False, 0.5),
        # "You're welcome! Anything else?" against "You're welcome!"
        (True, 1.0),
    ]
    assert scores[3].detail == f"reply similarity 0.50 < threshold {LEXICAL_THRESHOLD:.2f}"
    assert scores[0].detail == f"reply similarity 1.00 >= threshold {LEXICAL_THRESHOLD:.2f}"


def test_reply_similarity_passes_a_paraphrase_and_fails_a_changed_fact() -> None:
    saved = "Your order #123 is on its way and should arrive on Friday."

    paraphrase = on_reply(
        "Order 123 has shipped and will be delivered Friday.", "reply_similarity", expected=saved
    )
    moved = on_reply(
        "Your order #123 is on its way and should arrive on Monday.",
        "reply_similarity",
        expected=saved,
    )

    assert paraphrase.passed
    assert not moved.passed
    assert moved.detail.endswith("; differs in weekday friday -> monday")


def test_reply_similarity_threshold_argument() -> None:
    run = one_turn_run(side("I have refunded order 123."), side(IN_TRANSIT))

    assert outcome(score_one(run, "reply_similarity", threshold=0.5)) == (
        True,
        0.5,
        "reply similarity 0.50 >= threshold 0.50",
    )
    assert not score_one(run, "reply_similarity", threshold=0.51).passed
    with pytest.raises(BadInputError, match=r"threshold: Input should be less than or equal to 1"):
        score_one(run, "reply_similarity", threshold=2)


def test_reply_similarity_against_an_expected_reply() -> None:
    run = one_turn_run(side("I have refunded order 123."), side(IN_TRANSIT))

    assert score_one(run, "reply_similarity", expected=IN_TRANSIT).value == 1.0
    assert score_one(run, "reply_similarity", expected="Hello there.").value == 0.0


def test_reply_similarity_method_options_are_checked() -> None:
    with pytest.raises(BadInputError, match="`endpoint` and `model` are for method embeddings"):
        on_reply("a", "reply_similarity", endpoint="http://127.0.0.1:1/v1")
    with pytest.raises(BadInputError, match="method: Input should be 'lexical' or 'embeddings'"):
        on_reply("a", "reply_similarity", method="cosine")


def test_embeddings_without_endpoint_or_local_model_is_bad_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("otel_replay.evals.builtin.has_local_embeddings", lambda: False)

    with pytest.raises(BadInputError, match=r"needs `endpoint` or a local model \(pip install"):
        on_reply("a", "reply_similarity", method="embeddings")


def test_latency_budget() -> None:
    run = incident_run()

    assert outcome(score_one(run, "latency_budget", 3, max_ms=1200)) == (
        True,
        1200.0,
        "latency 1200 ms within budget 1200 ms",
    )
    assert outcome(score_one(run, "latency_budget", 3, max_ms=1000)) == (
        False,
        1200.0,
        "latency 1200 ms over budget 1000 ms",
    )
    unrecorded = one_turn_run(side("a"), side("a", latency_ms=None))
    assert outcome(score_one(unrecorded, "latency_budget", max_ms=1)) == (
        False,
        None,
        "latency not recorded",
    )


@pytest.mark.parametrize(
    ("replayed", "args", "expected"),
    [
        (
            side("a"),
            {"max_input": 300, "max_output": 40},
            (True, "input tokens 300 within budget 300; output tokens 40 within budget 40"),
        ),
        (side("a"), {"max_input": 299}, (False, "input tokens 300 over budget 299")),
        (
            side("a", output_tokens=None),
            {"max_input": 1000, "max_output": 100},
            (False, "output tokens not recorded"),
        ),
        # An unbudgeted count may be missing.
        (
            side("a", output_tokens=None),
            {"max_input": 1000},
            (True, "input tokens 300 within budget 1000"),
        ),
    ],
)
def test_token_budget(replayed: TurnSide, args: dict[str, Any], expected: tuple[bool, str]) -> None:
    score = score_one(one_turn_run(side("a"), replayed), "token_budget", **args)

    assert (score.passed, score.detail) == expected


def test_token_budget_needs_a_budget() -> None:
    with pytest.raises(BadInputError, match="bad arguments: give max_input, max_output or both"):
        evaluate_run(incident_run(), [expect("token_budget")])


def test_reply_is_json() -> None:
    assert outcome(on_reply('{"status": "in transit"}', "reply_is_json")) == (
        True,
        None,
        "reply is JSON",
    )
    assert outcome(on_reply(IN_TRANSIT, "reply_is_json")) == (
        False,
        None,
        "reply is not JSON: Expecting value: line 1 column 1 (char 0)",
    )
    assert outcome(on_reply(None, "reply_is_json")) == (False, None, "no reply")


STATUS_SCHEMA: dict[str, JsonValue] = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "status": {"enum": ["in transit", "delivered"]},
    },
    "required": ["order_id", "status"],
}


def test_reply_matches_schema_pass_and_fail() -> None:
    def check(reply: str | None) -> tuple[bool, float | None, str]:
        return outcome(on_reply(reply, "reply_matches_schema", schema=STATUS_SCHEMA))

    assert check('{"order_id": "123", "status": "delivered"}') == (
        True,
        None,
        "reply matches the schema",
    )
    assert check('{"order_id": "123", "status": "lost"}') == (
        False,
        None,
        "reply does not match the schema at /status: 'lost' is not one of "
        "['in transit', 'delivered']",
    )
    assert check('{"status": "delivered"}') == (
        False,
        None,
        "reply does not match the schema at /: 'order_id' is a required property",
    )
    assert check("Delivered!") == (
        False,
        None,
        "reply is not JSON: Expecting value: line 1 column 1 (char 0)",
    )


def test_reply_matches_schema_refuses_an_invalid_schema() -> None:
    with pytest.raises(BadInputError, match="schema: not a valid JSON Schema"):
        evaluate_run(incident_run(), [expect("reply_matches_schema", schema={"type": 12})])
    with pytest.raises(BadInputError, match="schema: Field required"):
        evaluate_run(incident_run(), [expect("reply_matches_schema")])
