"""Agents that misbehave in the ways a replay must survive (named by MODULE:ATTR in tests)."""

from __future__ import annotations

import sys
import threading
from typing import Any

from otel_replay.demo.support_agent import fixed_agent

# Released by the test that hangs a turn, so the abandoned thread ends with the test.
RELEASE = threading.Event()


def _turn(messages: list[dict[str, Any]]) -> int:
    return sum(1 for m in messages if m.get("role") == "user")


def fails_on_turn_3(messages: list[dict[str, Any]]) -> Any:
    if _turn(messages) == 3:
        raise RuntimeError("lookup service\nunreachable")
    return fixed_agent(messages)


def exits_on_turn_2(messages: list[dict[str, Any]]) -> Any:
    if _turn(messages) == 2:
        sys.exit(3)
    return fixed_agent(messages)


def hangs_on_turn_2(messages: list[dict[str, Any]]) -> Any:
    if _turn(messages) == 2:
        RELEASE.wait(30)
        return "too late"
    return fixed_agent(messages)


def answers_a_foreign_dict(messages: list[dict[str, Any]]) -> Any:
    return {"foo": "bar"}


class BrokenFactory:
    """A class is a factory: its construction fails."""

    def __init__(self) -> None:
        raise ValueError("missing OPENAI_API_KEY")

    def __call__(self, messages: list[dict[str, Any]]) -> Any:
        return "never"


def interrupted_on_turn_2(messages: list[dict[str, Any]]) -> Any:
    """What Ctrl-C does while the agent works: KeyboardInterrupt out of the turn."""
    if _turn(messages) == 2:
        raise KeyboardInterrupt
    return fixed_agent(messages)
