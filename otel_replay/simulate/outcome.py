"""Check a replay's end against the scenario's expected outcome: a judge model, or a rule.

The outcome is the `user` section's `expected_outcome`. With `outcome_rule`
(`python:MODULE:ATTR`), your callable decides: it gets the run (`ReplayRun`: every turn,
recorded or simulated, with the agent's replies and tool calls) and the expected outcome
text, and returns a bool or a `Score`. Otherwise a judge model (any OpenAI-compatible
endpoint) reads the replayed conversation and answers `{"pass": bool, "reason": str}`.
The verdict is one session score named `expected_outcome`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable

from pydantic import JsonValue

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import OUTCOME_EVALUATOR, ReplayRun, Score
from otel_replay.evals.endpoint import EndpointError, post_json, read_api_key
from otel_replay.evals.judge import read_judge_verdict
from otel_replay.evals.python import PYTHON_PREFIX
from otel_replay.scenario.model import Scenario
from otel_replay.simulate.model_client import UserModel

OUTCOME_INSTRUCTIONS = (
    "You judge whether a conversation between a user and an AI assistant reached the outcome "
    "it should have. Read what the assistant said and which tools it called. Answer with a "
    'single JSON object and nothing else: {"pass": true or false, "reason": "one sentence '
    'saying why"}.'
)

# Where `otel-replay test` and the pytest plugin find the judge when no option names one.
OUTCOME_JUDGE_VARIABLE = "OTEL_REPLAY_OUTCOME_JUDGE"

OutcomeRule = Callable[[ReplayRun, str | None], object]


def load_outcome_rule(name: str) -> OutcomeRule:
    """The callable a `python:MODULE:ATTR` rule names; BadInputError when it cannot be had."""
    module_name, _, attribute = name.removeprefix(PYTHON_PREFIX).partition(":")
    if not name.startswith(PYTHON_PREFIX) or not module_name or not attribute:
        raise BadInputError(f"outcome rule {name!r}: write python:MODULE:ATTR")
    try:
        target: object = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (Exception, SystemExit) as exc:  # user code: any failure to load it is bad input
        raise BadInputError(f"outcome rule {name}: {type(exc).__name__}: {exc}") from exc
    if not callable(target):
        raise BadInputError(f"outcome rule {name} is not callable")
    rule: OutcomeRule = target
    return rule


def describe_run(run: ReplayRun) -> str:
    """The replayed conversation as the judge reads it, each turn marked by who spoke it."""
    lines = []
    for turn in run.turns:
        side = turn.replayed
        if side is None:
            continue
        lines.append(f"User ({turn.origin.value}): {turn.user or '(nothing)'}")
        for call in side.tool_calls:
            arguments = json.dumps(call.arguments, sort_keys=True)
            lines.append(f"  tool call: {call.name}({arguments}) -> {json.dumps(call.result)}")
        lines.append(f"Assistant: {side.assistant or '(no reply)'}")
    return "\n".join(lines) or "(no turn was replayed)"


def _judge(run: ReplayRun, outcome: str, judge: UserModel) -> tuple[bool, str]:
    prompt = f"Expected outcome:\n{outcome}\n\nThe conversation:\n{describe_run(run)}"
    payload: dict[str, JsonValue] = {
        "model": judge.model,
        "messages": [
            {"role": "system", "content": OUTCOME_INSTRUCTIONS},
            {"role": "user", "content": prompt},
        ],
        "temperature": 0,
    }
    try:
        answer = post_json(
            judge.chat_url, payload, api_key=read_api_key(), timeout=judge.timeout_seconds
        )
        return read_judge_verdict(answer)
    except EndpointError as exc:
        return False, f"judge failed: {exc}"
    except ValueError as exc:
        return False, f"judge failed: {judge.chat_url} {exc}"


def _from_rule(run: ReplayRun, outcome: str | None, name: str) -> tuple[bool, str]:
    rule = load_outcome_rule(name)
    try:
        result = rule(run, outcome)
    except Exception as exc:  # a bug in the rule fails the check, not the replay
        return False, f"{name} raised {type(exc).__name__}: {exc}"
    if isinstance(result, Score):
        return result.passed, result.detail or f"{name}: {result.passed}"
    if isinstance(result, bool):
        return result, f"{name} returned {result}"
    return False, f"{name} returned {type(result).__name__}; expected a bool or a Score"


def check_outcome(scenario: Scenario, run: ReplayRun, judge: UserModel | None) -> Score | None:
    """The `expected_outcome` score of a run: by the scenario's rule, else by `judge`; None
    when the scenario states no outcome, or states one and no judge is given."""
    user = scenario.user
    if user is None:
        return None
    if user.outcome_rule:
        passed, detail = _from_rule(run, user.expected_outcome, user.outcome_rule)
    elif user.expected_outcome and judge is not None:
        passed, detail = _judge(run, user.expected_outcome, judge)
    else:
        return None
    return Score(evaluator=OUTCOME_EVALUATOR, turn=None, passed=passed, detail=detail)
