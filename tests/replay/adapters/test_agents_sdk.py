"""OpenAI Agents SDK function tools are sealed at the runner's function-tool invocation, with
openai-agents as installed from PyPI, its Runner talking to a scripted model."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from agents import RunContextWrapper
from agents.run_internal import tool_execution
from agents.tool import default_tool_error_function
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

from otel_replay.core.runs import RunStatus
from otel_replay.replay.adapters import sealed_frameworks
from otel_replay.replay.tools import RecordedToolError
from otel_replay.store import SqlSpanStore
from otel_replay.testing import FakeOpenAIServer
from tests.replay.adapters import framework_agents
from tests.replay.adapters.support import (
    REFUND_123,
    REFUNDED,
    check_traced_tool_is_sealed_unless_unsealed,
    failed_refund_scenario,
    refund_scenario,
    replay_sealed,
    sealed_answer,
    tool_message_sent,
    tool_sources,
)


def test_a_runner_tool_call_is_served_the_recorded_output_and_never_runs(
    refund_model: FakeOpenAIServer, side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed("agents_sdk_agent", refund_scenario(), store)
    answer = sealed_answer(run, side_effects)
    assert answer == f"Refund result: {json.dumps(REFUNDED)}"
    assert tool_sources(run) == [("issue_refund", "recorded")]
    assert json.loads(tool_message_sent(refund_model)) == REFUNDED


def test_a_recorded_tool_failure_reaches_the_model_as_the_sdk_reports_failures(
    refund_model: FakeOpenAIServer, side_effects: Path, store: SqlSpanStore
) -> None:
    scenario = failed_refund_scenario("issue_refund", "card declined")
    run = replay_sealed("agents_sdk_agent", scenario, store)
    assert list(side_effects.iterdir()) == []
    (turn,) = run.turns
    assert turn.error is None
    # What the SDK's default failure-error function says when a tool body raises.
    said = default_tool_error_function(RunContextWrapper(None), RecordedToolError("card declined"))
    assert tool_message_sent(refund_model) == said


def test_an_sdk_tool_called_otherwise_than_recorded_is_a_divergence_and_never_runs(
    refund_model: FakeOpenAIServer, side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed("agents_sdk_agent", refund_scenario(recorded_order="999"), store)
    assert list(side_effects.iterdir()) == []
    (turn,) = run.turns
    (divergence,) = turn.divergences
    assert "matches no recorded call" in str(divergence)
    # The model was told the tool failed, as the SDK tells it when a tool body raises.
    said = default_tool_error_function(RunContextWrapper(None), RecordedToolError("x"))
    assert tool_message_sent(refund_model) == said


def test_an_sdk_tool_named_live_runs_for_real(
    refund_model: FakeOpenAIServer, side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed("agents_sdk_agent", refund_scenario(), store, live_tools=["issue_refund"])
    assert [p.name for p in side_effects.iterdir()] == ["agents-123"]
    assert run.status is RunStatus.OK
    assert tool_sources(run) == [("issue_refund", "live")]
    assert json.loads(tool_message_sent(refund_model)) == {"order_id": "123", "refund": "issued"}


def test_outside_a_replay_sdk_tools_run_unchanged(
    refund_model: FakeOpenAIServer, side_effects: Path
) -> None:
    invoke = tool_execution._invoke_function_tool_with_metadata
    with sealed_frameworks():
        assert tool_execution._invoke_function_tool_with_metadata is not invoke
        answer = asyncio.run(framework_agents.agents_sdk_agent(REFUND_123))
    assert tool_execution._invoke_function_tool_with_metadata is invoke
    assert answer == 'Refund result: {"order_id": "123", "refund": "issued"}'
    assert [p.name for p in side_effects.iterdir()] == ["agents-123"]


@pytest.fixture
def agents_traced() -> Iterator[None]:
    """OpenInference's Agents SDK instrumentation: the SDK's traces become OTel spans."""
    instrumentor = OpenAIAgentsInstrumentor()
    instrumentor.instrument()
    yield
    instrumentor.uninstrument()


@pytest.mark.usefixtures("agents_traced", "refund_model")
def test_a_traced_sealed_sdk_tool_is_seen_as_sealed_and_an_unsealed_one_trips_the_wire(
    side_effects: Path, store: SqlSpanStore
) -> None:
    check_traced_tool_is_sealed_unless_unsealed(
        "agents_sdk_traced_agent",
        "openinference.instrumentation.openai_agents",
        "agents-123",
        side_effects,
        store,
    )
