"""Replaying a recorded openai session against other targets: an agent behind an
OpenAI-compatible URL (`--agent-url`), and trace by trace from the CLI (`--mode trace`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from examples.openai_agent.fake_model import FAKE_RESPONSE_MODEL, scripted_model
from examples.openai_agent.record import SESSIONS
from otel_replay.app.conversations import session_scenario
from otel_replay.cli.main import cli
from otel_replay.core.runs import RunStatus
from otel_replay.replay.agents import http_agent
from otel_replay.replay.runner import replay_scenario
from otel_replay.store import open_store
from otel_replay.testing import FakeOpenAIServer
from tests.integration.conftest import REPO_ROOT, Recording

TRACEPARENT = re.compile(r"^00-(?P<trace_id>[0-9a-f]{32})-(?P<span_id>[0-9a-f]{16})-[0-9a-f]{2}$")
USER_TEXTS = next(iter(SESSIONS.values()))


def _baggage(header: str) -> dict[str, str]:
    entries = (item.split(";")[0].partition("=") for item in header.split(","))
    return {unquote(k.strip()): unquote(v.strip()) for k, _, v in entries}


def test_agent_url_replay_sends_the_run_trace_and_session_to_the_agent(
    record: Callable[[str], Recording], tmp_path: Path
) -> None:
    store = open_store(record("openinference").copy_store(tmp_path))
    try:
        scenario = session_scenario(store, record("openinference").session_id)
        with FakeOpenAIServer.agent() as agent_server:
            run = replay_scenario(
                scenario, http_agent(agent_server.chat_url), store, agent_label="http agent"
            )
            exchanges = agent_server.exchanges
        stored = store.get_run(run.run_id)
    finally:
        store.close()
    assert run.status is RunStatus.OK
    assert [e.path for e in exchanges] == ["/v1/chat/completions"] * len(USER_TEXTS)
    for exchange, turn in zip(exchanges, run.turns, strict=True):
        found = TRACEPARENT.match(exchange.headers.get("traceparent", ""))
        assert found is not None, exchange.headers
        assert found["trace_id"] == run.trace_ids[0]
        assert found["span_id"] == turn.span_id  # sent from inside the replayed turn's span
        assert _baggage(exchange.headers.get("baggage", ""))["session.id"] == run.session_id
    assert [t.replayed.assistant if t.replayed else None for t in run.turns] == [
        f"You said: {text}" for text in USER_TEXTS
    ]
    # The second request carries the replayed history: the agent's own first answer.
    assert exchanges[1].body["messages"] == [
        {"role": "user", "content": USER_TEXTS[0]},
        {"role": "assistant", "content": f"You said: {USER_TEXTS[0]}"},
        {"role": "user", "content": USER_TEXTS[1]},
    ]
    assert stored is not None and stored.status == RunStatus.OK.value
    assert json.loads(stored.result_json)["turns"][-1]["replayed"]["assistant"] == (
        f"You said: {USER_TEXTS[-1]}"
    )


def test_cli_trace_mode_replays_each_trace_as_its_own_one_turn_conversation(
    record: Callable[[str], Recording], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = record("openai-v2-spans-stream")
    store_url = recording.copy_store(tmp_path)
    store = open_store(store_url)
    try:
        original = session_scenario(store, recording.session_id)
    finally:
        store.close()
    monkeypatch.chdir(REPO_ROOT)  # MODULE:ATTR is imported from the current folder
    with FakeOpenAIServer(scripted_model, model=FAKE_RESPONSE_MODEL) as model:
        monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "unused")
        result = CliRunner().invoke(
            cli,
            [
                "replay",
                recording.session_id,
                "--mode",
                "trace",
                "--concurrency",
                "2",
                "--agent",
                "examples.openai_agent.agent:answer",
                "--store",
                store_url,
                "--json",
            ],
        )
        requests = model.exchanges
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output)
    assert len(runs) == len(original.turns) == len(USER_TEXTS)
    assert [len(r["turns"]) for r in runs] == [1] * len(USER_TEXTS)
    assert [r["turns"][0]["user"] for r in runs] == USER_TEXTS
    assert [r["turns"][0]["original_trace_id"] for r in runs] == [
        t.trace_id for t in original.turns
    ]
    assert [r["turns"][0]["replayed"]["assistant"] for r in runs] == [
        t.assistant for t in original.turns
    ]
    assert len({r["session_id"] for r in runs}) == len(USER_TEXTS)
    assert len({r["trace_ids"][0] for r in runs}) == len(USER_TEXTS)
    # One-turn conversations: the second trace's replay never saw the first turn.
    second_turn_requests = [
        e.body["messages"] for e in requests if e.body["messages"][-1]["content"] == USER_TEXTS[1]
    ]
    assert [[m["role"] for m in messages] for messages in second_turn_requests] == [
        ["system", "user"]
    ]
    assert [
        [(c["name"], c["source"]) for c in r["turns"][0]["replayed"]["tool_calls"]] for r in runs
    ] == [[(c.name, "recorded") for c in turn.tool_calls] for turn in original.turns]
    assert [len(t.tool_calls) for t in original.turns] == [2, 2, 0]
