from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import Score
from otel_replay.evals import evaluate_run
from otel_replay.evals.judge import JUDGE_INSTRUCTIONS
from otel_replay.scenario.model import Expectation
from otel_replay.testing import ChatMessage, FakeOpenAIServer, ToolSpec, message_text
from tests.evals.runs import IN_TRANSIT, incident_run

RUBRIC = "The reply must not promise a refund; it should give the order's status."


def judge_by_rubric(messages: list[ChatMessage], tools: list[ToolSpec]) -> str:
    """A judge that fails replies which mention a refund, and says so in JSON."""
    replayed = message_text(messages[-1]).split("Replayed reply (judge this one):")[1]
    if "refund" in replayed.lower():
        return json.dumps({"pass": False, "reason": "The reply promises a refund."})
    return json.dumps({"pass": True, "reason": "The reply gives the status, no refund."})


@pytest.fixture
def judge() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(judge_by_rubric) as server:
        yield server


def judge_turns(run: Any, turn: int | None = None, **args: Any) -> list[Score]:
    return evaluate_run(run, [Expectation(evaluator="llm_judge", turn=turn, args=args)])


def test_judge_verdict_and_reason_become_the_score(judge: FakeOpenAIServer) -> None:
    run = incident_run()
    regressed = run.model_copy(
        update={
            "turns": [
                t.model_copy(update={"replayed": t.original}) if t.index == 3 else t
                for t in run.turns
            ]
        }
    )

    fixed = judge_turns(run, 3, rubric=RUBRIC, endpoint=judge.base_url, model="judge-1")
    broken = judge_turns(regressed, 3, rubric=RUBRIC, endpoint=judge.base_url)

    assert [(s.evaluator, s.turn, s.passed, s.detail) for s in fixed + broken] == [
        ("llm_judge", 3, True, "The reply gives the status, no refund."),
        ("llm_judge", 3, False, "The reply promises a refund."),
    ]


def test_judge_is_asked_with_the_rubric_and_both_replies(judge: FakeOpenAIServer) -> None:
    judge_turns(incident_run(), 3, rubric=RUBRIC, endpoint=judge.chat_url, model="judge-1")

    (exchange,) = judge.exchanges
    body = exchange.body
    assert exchange.path == "/v1/chat/completions"
    assert (body["model"], body["temperature"]) == ("judge-1", 0)
    assert body["messages"][0] == {"role": "system", "content": JUDGE_INSTRUCTIONS}
    prompt = body["messages"][1]["content"]
    assert f"Rubric:\n{RUBRIC}" in prompt
    assert "User message:\nIt's late, where is order 123?" in prompt
    assert "Recorded reply (for reference):\nI have refunded order 123.\n" in prompt
    assert f"Replayed reply (judge this one):\n{IN_TRANSIT}\n(tools called: check_status)" in prompt


def test_judge_scores_every_replayed_turn_without_a_turn(judge: FakeOpenAIServer) -> None:
    scores = judge_turns(incident_run(), rubric=RUBRIC, endpoint=judge.base_url)

    assert [s.turn for s in scores] == [0, 1, 2, 3, 4]
    assert len(judge.exchanges) == 5


def test_judge_defaults_come_from_the_environment(
    judge: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_REPLAY_JUDGE_URL", judge.base_url)
    monkeypatch.setenv("OTEL_REPLAY_JUDGE_MODEL", "env-judge")
    monkeypatch.setenv("OTEL_REPLAY_EVALS_API_KEY", "sk-judge")

    assert judge_turns(incident_run(), 3, rubric=RUBRIC)[0].passed

    (exchange,) = judge.exchanges
    assert exchange.body["model"] == "env-judge"
    assert exchange.headers["authorization"] == "Bearer sk-judge"


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("Looks fine to me.", "answered a verdict that is not JSON: 'Looks fine to me.'"),
        ('{"verdict": "pass"}', 'answered JSON without a boolean "pass"'),
        ('{"pass": "yes"}', 'answered JSON without a boolean "pass"'),
    ],
)
def test_judge_answers_that_are_no_verdict_fail_naming_the_endpoint(
    answer: str, problem: str
) -> None:
    with FakeOpenAIServer(lambda messages, tools: answer) as server:
        (score,) = judge_turns(incident_run(), 3, rubric=RUBRIC, endpoint=server.base_url)

    assert not score.passed
    assert score.detail.startswith(f"judge failed: {server.chat_url} {problem}")


def test_a_fenced_json_verdict_is_read() -> None:
    fenced = '```json\n{"pass": true, "reason": "fine"}\n```'
    with FakeOpenAIServer(lambda messages, tools: fenced) as server:
        (score,) = judge_turns(incident_run(), 3, rubric=RUBRIC, endpoint=server.base_url)

    assert (score.passed, score.detail) == (True, "fine")


def test_unreachable_judge_fails_naming_the_endpoint() -> None:
    with FakeOpenAIServer(judge_by_rubric) as server:
        url = server.chat_url

    (score,) = judge_turns(incident_run(), 3, rubric=RUBRIC, endpoint=url)

    assert not score.passed
    assert score.detail.startswith(f"judge failed: {url} did not answer: ")


def test_judge_http_errors_fail_naming_the_endpoint() -> None:
    # A script without rules answers every request 400.
    with FakeOpenAIServer([]) as server:
        (score,) = judge_turns(incident_run(), 3, rubric=RUBRIC, endpoint=server.base_url)

    assert not score.passed
    assert score.detail.startswith(f"judge failed: {server.chat_url} answered HTTP 400: ")
    assert "no rule matches the last message" in score.detail


def test_judge_needs_a_rubric() -> None:
    with pytest.raises(BadInputError, match="evaluator llm_judge: bad arguments: rubric: Field"):
        judge_turns(incident_run(), 3)
