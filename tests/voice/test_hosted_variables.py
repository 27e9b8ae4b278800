"""A hosted replay sends the recorded call's prompt variables again: Vapi's
`assistantOverrides.variableValues` and Retell's `dynamic_variables`, read from the voice
snapshot the call left in its scenario (the fake platforms record every request)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from otel_replay.app.conversations import session_scenario
from otel_replay.app.targets import AgentRef
from otel_replay.core.runs import RunStatus
from otel_replay.importer import import_data
from otel_replay.replay.runner import replay_scenario
from otel_replay.store import SqlSpanStore
from tests.conftest import FIXTURES, opened_store
from tests.voice.fake_platforms import FakePlatform

SYNTHETIC = FIXTURES / "voice" / "synthetic"


def _import(store: SqlSpanStore, name: str, payload: dict[str, Any]) -> None:
    import_data(store, [(name, json.dumps(payload).encode())])


@pytest.fixture
def store(sqlite_url: str) -> Iterator[SqlSpanStore]:
    yield from opened_store(sqlite_url)


def test_vapi_replay_sends_the_calls_variable_values(
    store: SqlSpanStore, order_platforms: FakePlatform
) -> None:
    report = json.loads((SYNTHETIC / "vapi_eocr_barge_in_tool_call.json").read_text())
    message = report["message"]
    # Resolved at call time (with a built-in), and what the caller passed on top.
    message["artifact"]["variableValues"] = {"name": "Sam", "date": "Nov 30, 2026"}
    message["call"]["assistantOverrides"] = {"variableValues": {"name": "Samuel", "tier": 3}}
    _import(store, "vapi.json", report)
    scenario = session_scenario(store, "call-synth-barge-in")
    assert scenario.agent.voice is not None
    expected = {"name": "Samuel", "date": "Nov 30, 2026", "tier": 3}
    assert scenario.agent.voice.variables == expected

    target = AgentRef.parse("vapi://asst_1").load()
    factory = target.factory_for(scenario)
    run = replay_scenario(scenario, factory, store, agent_label=target.label)

    assert run.status is RunStatus.OK, [t.error for t in run.turns]
    chats = order_platforms.posted("/chat")
    assert len(chats) == 2
    assert all(c["assistantOverrides"]["variableValues"] == expected for c in chats)
    # Without recorded variables the factory is the target's own, and sends none.
    assert (
        target.factory_for(
            scenario.model_copy(update={"agent": scenario.agent.model_copy(update={"voice": None})})
        )
        is target.factory
    )


def test_retell_replay_sends_the_calls_dynamic_variables(
    store: SqlSpanStore, order_platforms: FakePlatform
) -> None:
    webhook = json.loads((SYNTHETIC / "retell_call_analyzed_tool_call.json").read_text())
    webhook["call"]["retell_llm_dynamic_variables"] = {"name": "Sam", "slots": 2}
    _import(store, "retell.json", webhook)
    scenario = session_scenario(store, "call_synth_retell_tools")
    assert scenario.agent.voice is not None
    assert scenario.agent.voice.variables == {"name": "Sam", "slots": 2}

    target = AgentRef.parse("retell://agent_1@4").load()
    run = replay_scenario(scenario, target.factory_for(scenario), store, agent_label=target.label)

    assert run.status is RunStatus.OK, [t.error for t in run.turns]
    completions = order_platforms.posted("/agent-playground-completion/agent_1")
    assert len(completions) == 2
    # Retell's dynamic variables are strings.
    assert all(c["dynamic_variables"] == {"name": "Sam", "slots": "2"} for c in completions)
