"""Describe the real user of a recorded session, and write persona variants of it.

Both ask the user model for JSON, validate it, and return scenarios: `describe_user` fills
the scenario's `user` section (goal, persona, situation, expected outcome; the real user's
turns are the phrasing examples, taken from the recording, not from the model), and
`write_variants` rewrites the user's turns in N other personas, one scenario each, with the
recording's replies and tool calls kept for playback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from otel_replay.core.errors import BadInputError
from otel_replay.scenario.model import Scenario, ScenarioTurn, ScenarioUser
from otel_replay.simulate.model_client import UserModel, UserModelError

DESCRIBE_INSTRUCTIONS = (
    "You read a recorded conversation between a user and an AI assistant and describe the "
    "user, so that a simulated user can play them in tests of the assistant. Answer with a "
    'single JSON object and nothing else: {"goal": "what the user wanted from the '
    'conversation", "persona": "who they are and how they write: tone, temperament, how '
    'they give information", "situation": "the facts they bring: ids, what happened '
    'before", "expected_outcome": "what the assistant should have achieved for them, as a '
    'statement a reviewer can check"}.'
)
VARIANT_INSTRUCTIONS = (
    "You write a variant of a real user's side of a conversation with an AI assistant, for "
    "testing the assistant. Keep the user's goal, situation and facts (ids, names, amounts) "
    "exactly; change the persona: wording, temperament, and the order in which they give "
    "information. Write exactly one message for each of the real user's messages, as many "
    'as they wrote. Answer with a single JSON object and nothing else: {"persona": "the '
    'variant user in one sentence", "turns": ["first message", "second message", ...]}.'
)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class _Described(BaseModel):
    model_config = ConfigDict(extra="ignore")

    goal: str = Field(min_length=1)
    persona: str = Field(min_length=1)
    situation: str = Field(min_length=1)
    expected_outcome: str = Field(min_length=1)


class _Variant(BaseModel):
    model_config = ConfigDict(extra="ignore")

    persona: str = Field(min_length=1)
    turns: list[str] = Field(min_length=1)


def _spoken(scenario: Scenario) -> list[ScenarioTurn]:
    return [turn for turn in scenario.turns if turn.user is not None]


def _tools(turn: ScenarioTurn) -> str:
    calls = ", ".join(
        f"{t.name}({json.dumps(t.arguments, sort_keys=True)})" for t in turn.tool_calls
    )
    return f" [called {calls}]" if calls else ""


def _recording(scenario: Scenario) -> str:
    lines = []
    if scenario.agent.system_prompt:
        lines.append(f"The assistant's instructions: {scenario.agent.system_prompt}")
    for turn in scenario.turns:
        lines.append(f"User: {turn.user if turn.user is not None else '(nothing recorded)'}")
        lines.append(f"Assistant{_tools(turn)}: {turn.assistant or '(no reply)'}")
    return "\n".join(lines)


def describe_user(scenario: Scenario, model: UserModel) -> Scenario:
    """The scenario with its `user` section written by `model` from the recording; a rule
    of one's own (`outcome_rule`) already there is kept."""
    if not _spoken(scenario):
        raise BadInputError(f"scenario {scenario.name}: no user turn to describe the user from")
    described = model.ask(DESCRIBE_INSTRUCTIONS, _recording(scenario), _Described)
    kept = scenario.user
    user = ScenarioUser(
        goal=described.goal,
        persona=described.persona,
        situation=described.situation,
        expected_outcome=described.expected_outcome,
        examples=[t.user for t in _spoken(scenario) if t.user is not None],
        described_by=model.label,
        outcome_rule=kept.outcome_rule if kept else None,
    )
    return scenario.model_copy(update={"user": user})


def _variant_prompt(
    user: ScenarioUser, real: Sequence[str], number: int, personas: list[str]
) -> str:
    lines = [
        f"Goal: {user.goal or '(not given)'}",
        f"Situation: {user.situation or '(not given)'}",
        f"The real user: {user.persona or '(not described)'}",
        f"The real user's {len(real)} messages, in order:",
        *(f"{i}. {text}" for i, text in enumerate(real, start=1)),
        f"Write variant {number}; write exactly {len(real)} messages.",
    ]
    if personas:
        lines.append("Earlier variants, to differ from: " + "; ".join(personas))
    return "\n".join(lines)


def write_variants(scenario: Scenario, count: int, model: UserModel) -> list[Scenario]:
    """`count` persona or phrasing variants of the scenario's user, as scenarios named
    `NAME-variant-K`: the same goal, situation and facts, the user's turns rewritten, the
    recorded replies and tool calls kept. The scenario's user is described first when it
    has no `user` section. UserModelError when an answer has the wrong number of turns."""
    if count < 1:
        raise BadInputError(f"--variants must be at least 1, not {count}")
    if scenario.user is None or not scenario.user.goal:
        scenario = describe_user(scenario, model)
    assert scenario.user is not None
    real = [t.user for t in _spoken(scenario) if t.user is not None]
    variants: list[Scenario] = []
    personas: list[str] = []
    for number in range(1, count + 1):
        answer = model.ask(
            VARIANT_INSTRUCTIONS, _variant_prompt(scenario.user, real, number, personas), _Variant
        )
        if len(answer.turns) != len(real) or not all(t.strip() for t in answer.turns):
            raise UserModelError(
                f"user model {model.chat_url} wrote variant {number} with "
                f"{len(answer.turns)} message(s); the real user wrote {len(real)}, none empty"
            )
        personas.append(answer.persona)
        variants.append(_variant(scenario, scenario.user, number, answer, model))
    return variants


def _variant(
    scenario: Scenario, user: ScenarioUser, number: int, answer: _Variant, model: UserModel
) -> Scenario:
    texts = iter(answer.turns)
    turns = [
        turn if turn.user is None else turn.model_copy(update={"user": next(texts)})
        for turn in scenario.turns
    ]
    variant_user = user.model_copy(
        update={
            "persona": answer.persona,
            "examples": list(answer.turns),
            "described_by": model.label,
            "variant": number,
            "variant_of": scenario.name,
        }
    )
    note = (
        f"variant {number} of {scenario.name}: the user's turns rewritten by {model.label}; "
        "replies and tool calls are the recording's"
    )
    return scenario.model_copy(
        update={
            "name": f"{scenario.name}-variant-{number}",
            "turns": turns,
            "user": variant_user,
            "notes": [*scenario.notes, note],
        }
    )


def variant_file_name(variant: Scenario) -> str:
    """`NAME.scenario.json` with the name made safe for a file system."""
    return f"{_SAFE_NAME.sub('_', variant.name)}.scenario.json"
