"""Replaying a framework agent inside `sealed_frameworks`, and the one-refund scenario."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import JsonValue

from otel_replay.core.runs import ReplayRun, RunStatus
from otel_replay.replay.adapters import sealed_frameworks
from otel_replay.replay.agents import load_agent
from otel_replay.replay.runner import ReplayOptions, replay_scenario
from otel_replay.scenario.model import Scenario
from otel_replay.store import SqlSpanStore
from tests.replay.sealing_agents import recorded_call, recorded_scenario

AGENTS = "tests.replay.adapters.framework_agents"
REFUNDED: JsonValue = {"order_id": "123", "refund": "recorded, not issued"}


def refund_scenario(
    tool_name: str = "issue_refund", result: JsonValue = REFUNDED, recorded_order: str = "123"
) -> Scenario:
    """One turn in which the user asks to refund order 123, and the recorded agent refunded
    `recorded_order` with `tool_name`."""
    call = recorded_call(tool_name, recorded_order, result, 1)
    return recorded_scenario(f"{tool_name}-123", [("please refund order 123", [call])])


def replay_sealed(
    agent: str,
    scenario: Scenario,
    store: SqlSpanStore,
    *,
    seal: Iterable[str] = (),
    live_tools: Iterable[str] = (),
) -> ReplayRun:
    """Replay `agent` (a name in framework_agents) as the application layer does."""
    options = ReplayOptions(live_tools=frozenset(live_tools))
    with sealed_frameworks(seal):
        return replay_scenario(
            scenario, load_agent(f"{AGENTS}:{agent}"), store, agent_label=agent, options=options
        )


def sealed_answer(run: ReplayRun, side_effects: Path) -> str:
    """The answer of a one-turn run that went cleanly with no tool body run, checking so."""
    assert list(side_effects.iterdir()) == []
    assert run.status is RunStatus.OK
    (turn,) = run.turns
    assert turn.error is None and turn.divergences == []
    assert turn.replayed is not None and turn.replayed.assistant is not None
    return turn.replayed.assistant


def failed_refund_scenario(tool_name: str, error: str) -> Scenario:
    """`refund_scenario` in which the recorded refund failed with `error`."""
    scenario = refund_scenario(tool_name)
    (turn,) = scenario.turns
    failed = turn.tool_calls[0].model_copy(update={"error": error})
    return scenario.model_copy(update={"turns": [turn.model_copy(update={"tool_calls": [failed]})]})


def tool_sources(run: ReplayRun) -> list[tuple[str, str]]:
    """The replayed turn's tool calls: name and where the result came from."""
    (turn,) = run.turns
    assert turn.replayed is not None
    return [(t.name, t.source) for t in turn.replayed.tool_calls]
