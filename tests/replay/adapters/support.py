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
from otel_replay.testing import FakeOpenAIServer
from tests.replay.sealing_agents import recorded_call, recorded_scenario

AGENTS = "tests.replay.adapters.framework_agents"
REFUNDED: JsonValue = {"order_id": "123", "refund": "recorded, not issued"}
REFUND_ASK = "please refund order 123"
# The messages a test hands an agent called directly, outside any replay.
REFUND_123 = [{"role": "user", "content": REFUND_ASK}]


def refund_scenario(
    tool_name: str = "issue_refund", result: JsonValue = REFUNDED, recorded_order: str = "123"
) -> Scenario:
    """One turn in which the user asks to refund order 123, and the recorded agent refunded
    `recorded_order` with `tool_name`."""
    call = recorded_call(tool_name, recorded_order, result, 1)
    return recorded_scenario(f"{tool_name}-123", [(REFUND_ASK, [call])])


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


def tool_message_sent(model: FakeOpenAIServer) -> str:
    """The content of the tool message the agent sent the model in its second request."""
    (_, second) = model.exchanges
    (message,) = [m for m in second.body["messages"] if m["role"] == "tool"]
    return str(message["content"])


def check_traced_tool_is_sealed_unless_unsealed(
    agent: str, tracer_scope: str, ran: str, side_effects: Path, store: SqlSpanStore
) -> None:
    """The framework's own tool span (made by `tracer_scope`) wraps the sealed one, so the
    tripwire sees a sealed tool; the same agent replayed outside the adapter runs the tool for
    real (its side effect `ran` appears) and the run is marked UNSEALED_TOOL."""
    run = replay_sealed(agent, refund_scenario(), store)
    sealed_answer(run, side_effects)
    by_name = {s.name: s for s in store.get_spans(run.trace_ids)}
    traced, sealed = by_name["issue_refund"], by_name["execute_tool issue_refund"]
    assert traced.scope.name == tracer_scope
    assert sealed.parent_span_id == traced.span_id

    factory = load_agent(f"{AGENTS}:{agent}")
    unsealed = replay_scenario(refund_scenario(), factory, store, agent_label="unsealed")
    assert [p.name for p in side_effects.iterdir()] == [ran]
    assert unsealed.status is RunStatus.UNSEALED_TOOL
