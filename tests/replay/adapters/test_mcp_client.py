"""MCP tool calls are sealed at `ClientSession.call_tool`, with the mcp SDK as installed from
PyPI: a real server in-process (the SDK's in-memory transport) called through `mcp.Client`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from mcp import ClientSession

from otel_replay.core.runs import RunStatus
from otel_replay.replay.adapters import sealed_frameworks
from otel_replay.store import SqlSpanStore
from tests.replay.adapters import framework_agents
from tests.replay.adapters.support import (
    REFUND_123,
    REFUNDED,
    failed_refund_scenario,
    refund_scenario,
    replay_sealed,
    sealed_answer,
    tool_sources,
)


def test_an_mcp_tool_call_gets_the_recorded_result_and_the_server_never_runs_it(
    side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed("mcp_agent", refund_scenario("mcp_refund"), store)
    answer = sealed_answer(run, side_effects)
    assert json.loads(answer) == REFUNDED
    assert tool_sources(run) == [("mcp_refund", "recorded")]


def test_a_recorded_mcp_tool_failure_comes_back_as_an_error_result(
    side_effects: Path, store: SqlSpanStore
) -> None:
    scenario = failed_refund_scenario("mcp_refund", "card declined")
    run = replay_sealed("mcp_agent", scenario, store)
    assert list(side_effects.iterdir()) == []
    (turn,) = run.turns
    assert turn.replayed is not None
    assert turn.replayed.assistant == "error: card declined"


def test_an_mcp_tool_named_live_is_called_on_the_server(
    side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed(
        "mcp_agent", refund_scenario("mcp_refund"), store, live_tools=["mcp_refund"]
    )
    assert [p.name for p in side_effects.iterdir()] == ["mcp-123"]
    assert run.status is RunStatus.OK
    assert tool_sources(run) == [("mcp_refund", "live")]


def test_outside_a_replay_mcp_tool_calls_reach_the_server(side_effects: Path) -> None:
    call_tool = ClientSession.call_tool
    with sealed_frameworks():
        assert ClientSession.call_tool is not call_tool
        answer = asyncio.run(framework_agents.mcp_agent(REFUND_123))
    assert ClientSession.call_tool is call_tool
    assert json.loads(answer) == {"order_id": "123", "refund": "issued"}
    assert [p.name for p in side_effects.iterdir()] == ["mcp-123"]
