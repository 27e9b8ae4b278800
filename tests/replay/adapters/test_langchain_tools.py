"""LangChain / LangGraph tools are sealed at `BaseTool.run`/`arun`, with langchain-core,
langchain and langgraph as installed from PyPI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from openinference.instrumentation.langchain import LangChainInstrumentor

from otel_replay.core.runs import RunStatus
from otel_replay.replay.adapters import sealed_frameworks
from otel_replay.replay.matchers import RecordedToolCall, ToolPlayback
from otel_replay.replay.sealing import tool_playback
from otel_replay.store import SqlSpanStore
from otel_replay.testing import FakeOpenAIServer
from tests.replay.adapters import framework_agents
from tests.replay.adapters.support import (
    REFUNDED,
    check_traced_tool_is_sealed_unless_unsealed,
    refund_scenario,
    replay_sealed,
    sealed_answer,
    tool_message_sent,
    tool_sources,
)
from tests.replay.sealing_agents import recorded_call, recorded_scenario


@pytest.mark.parametrize("agent", ["langchain_agent", "langchain_async_agent"])
def test_a_langchain_tool_answers_from_the_recording_and_never_runs(
    agent: str, side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed(agent, refund_scenario(), store)
    answer = sealed_answer(run, side_effects)
    assert json.loads(answer) == REFUNDED
    assert tool_sources(run) == [("issue_refund", "recorded")]


@pytest.mark.parametrize(
    "langchain_tool",
    [
        framework_agents.refund_tool,
        framework_agents.RefundTool(),
        framework_agents.refund_with_receipt,
    ],
    ids=["tool-decorator", "basetool-subclass", "content-and-artifact"],
)
def test_a_sealed_tool_call_comes_back_as_the_tool_message_langchain_makes(
    langchain_tool: BaseTool, side_effects: Path
) -> None:
    recorded = RecordedToolCall("issue_refund", {"order_id": "5"}, REFUNDED, call_id="call_9")
    call = {"name": "issue_refund", "args": {"order_id": "5"}, "id": "call_9", "type": "tool_call"}
    with sealed_frameworks(), tool_playback(ToolPlayback(0, [recorded])):
        message = langchain_tool.invoke(call)
    assert isinstance(message, ToolMessage)
    assert (message.tool_call_id, message.name, message.status) == (
        "call_9",
        "issue_refund",
        "success",
    )
    assert json.loads(str(message.content)) == REFUNDED
    assert list(side_effects.iterdir()) == []


def test_a_langgraph_agent_on_a_model_is_served_the_recorded_refund(
    refund_model: FakeOpenAIServer, side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed("langgraph_agent", refund_scenario(), store)
    answer = sealed_answer(run, side_effects)
    assert answer == f"Refund result: {json.dumps(REFUNDED)}"
    assert tool_sources(run) == [("issue_refund", "recorded")]
    # The model was given the recorded result as the tool's message.
    assert json.loads(tool_message_sent(refund_model)) == REFUNDED


def test_parallel_tool_calls_run_by_langgraph_on_its_threads_each_get_their_recording(
    refund_model: FakeOpenAIServer, side_effects: Path, store: SqlSpanStore
) -> None:
    """LangGraph's ToolNode runs a reply's tool calls at once, on a thread pool."""
    results = {order: {"order_id": order, "refund": f"recorded {order}"} for order in ("1", "2")}
    calls = [
        recorded_call("issue_refund", order, result, int(order))
        for order, result in results.items()
    ]
    scenario = recorded_scenario("two-refunds", [("please refund orders 1 and 2", calls)])
    run = replay_sealed("langgraph_agent", scenario, store)
    answer = sealed_answer(run, side_effects)
    assert answer == "Refund result: " + " | ".join(json.dumps(r) for r in results.values())
    assert tool_sources(run) == [("issue_refund", "recorded")] * 2


def test_a_langchain_tool_named_live_runs_for_real_under_its_span(
    side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed("langchain_agent", refund_scenario(), store, live_tools=["issue_refund"])
    assert [p.name for p in side_effects.iterdir()] == ["langchain-123"]
    assert run.status is RunStatus.OK
    assert tool_sources(run) == [("issue_refund", "live")]


def test_a_langchain_tool_called_otherwise_than_recorded_is_refused(
    side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed("langchain_agent", refund_scenario(recorded_order="999"), store)
    assert list(side_effects.iterdir()) == []
    (turn,) = run.turns
    assert turn.error is not None and "matches no recorded call" in turn.error
    assert "order_id" in turn.error


def test_outside_a_replay_langchain_tools_run_unchanged(side_effects: Path) -> None:
    run, arun = BaseTool.run, BaseTool.arun
    with sealed_frameworks():
        assert BaseTool.run is not run
        output = framework_agents.refund_tool.invoke({"order_id": "1"})
    assert json.loads(output) == {"order_id": "1", "refund": "issued"}
    assert (BaseTool.run, BaseTool.arun) == (run, arun)
    assert "run" in vars(BaseTool)
    framework_agents.refund_tool.invoke({"order_id": "2"})
    assert sorted(p.name for p in side_effects.iterdir()) == ["langchain-1", "langchain-2"]


@pytest.fixture
def langchain_traced() -> Iterator[None]:
    """OpenInference's LangChain instrumentation, which makes a span for every tool run."""
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument()
    yield
    instrumentor.uninstrument()


@pytest.mark.usefixtures("langchain_traced")
def test_a_traced_sealed_tool_is_seen_as_sealed_and_an_unsealed_one_trips_the_wire(
    side_effects: Path, store: SqlSpanStore
) -> None:
    """LangChain's own tool span wraps the sealed one: the tripwire sees a sealed tool. The
    same tool run outside the adapter shows as a recorded tool that ran for real.
    OpenInference keeps its tool span out of the OTel context; ours goes under it all the same."""
    check_traced_tool_is_sealed_unless_unsealed(
        "langchain_agent",
        "openinference.instrumentation.langchain",
        "langchain-123",
        side_effects,
        store,
    )
