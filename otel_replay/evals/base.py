"""What an evaluator is: a named check over replayed turns, with typed arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError
from pydantic_core import ErrorDetails

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import TurnSide


class Scope(StrEnum):
    """What an expectation without a turn applies to."""

    TURN = "turn"  # every replayed turn, one score each
    SESSION = "session"  # all replayed turns together, one score


class Arguments(BaseModel):
    """Base of evaluator arguments: unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoArguments(Arguments):
    pass


@dataclass(frozen=True)
class TurnPair:
    """A replayed turn: its 0-based index, the user message and both sides."""

    index: int
    user: str | None
    original: TurnSide
    replayed: TurnSide


@dataclass(frozen=True)
class Verdict:
    """What a check found; the runner adds the evaluator name and the turn."""

    passed: bool
    value: float | None
    detail: str


A = TypeVar("A", bound=BaseModel)

# Given the turns in scope (exactly one for TURN scope) and the parsed arguments.
Check = Callable[[Sequence[TurnPair], A], Verdict]


@dataclass(frozen=True)
class Evaluator(Generic[A]):
    name: str
    summary: str
    scope: Scope
    arguments: type[A]
    check: Check[A]


def parse_arguments(evaluator: Evaluator[A], args: Mapping[str, JsonValue]) -> A:
    """The expectation's arguments validated against the evaluator's model."""
    try:
        return evaluator.arguments.model_validate(dict(args))
    except ValidationError as exc:
        problems = "; ".join(_describe_error(error) for error in exc.errors())
        raise BadInputError(f"evaluator {evaluator.name}: bad arguments: {problems}") from exc


def _describe_error(error: ErrorDetails) -> str:
    # Our own validators raise ValueError; pydantic would prefix their text with "Value error".
    cause = error.get("ctx", {}).get("error")
    message = str(cause) if error["type"] == "value_error" and cause else error["msg"]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {message}" if where else message


def format_turns(indexes: Sequence[int]) -> str:
    """`turn 4` or `turns 2, 4`: 1-based, as people count turns."""
    numbers = ", ".join(str(i + 1) for i in indexes)
    return f"turn {numbers}" if len(indexes) == 1 else f"turns {numbers}"
