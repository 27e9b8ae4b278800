"""`replay --llm recorded|hybrid`: a session recorded from the real openai client replays with
no model server at all, exactly; a changed request misses with a message naming what differed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from examples.openai_agent import agent as example_agent
from examples.openai_agent.fake_model import FAKE_RESPONSE_MODEL, scripted_model
from otel_replay.app.conversations import session_scenario
from otel_replay.cli.main import cli
from otel_replay.store import open_store
from otel_replay.testing import FakeOpenAIServer
from tests.integration.conftest import REPO_ROOT, Recording

AGENT = "examples.openai_agent.agent:answer"


def _replay(store_url: str, session_id: str, *options: str) -> tuple[int, Any]:
    result = CliRunner().invoke(
        cli,
        ["replay", session_id, "--agent", AGENT, "--store", store_url, "--json", *options],
    )
    try:
        shown = json.loads(result.stdout)
    except ValueError:
        shown = result.output
    return result.exit_code, shown


@pytest.fixture
def no_model_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent would reach nothing but what the replay points it at."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.mark.usefixtures("no_model_server")
@pytest.mark.parametrize("recording_name", ["openinference", "openai-v2-spans-stream"])
def test_recorded_mode_reproduces_every_turn_without_a_model_server(
    record: Callable[[str], Recording], tmp_path: Path, recording_name: str
) -> None:
    recording = record(recording_name)
    store_url = recording.copy_store(tmp_path)
    store = open_store(store_url)
    try:
        scenario = session_scenario(store, recording.session_id)
    finally:
        store.close()

    runs = [_replay(store_url, recording.session_id, "--llm", "recorded") for _ in range(2)]

    for code, run in runs:
        assert code == 0, run
        assert run["status"] == "ok"
        replayed = [turn["replayed"] for turn in run["turns"]]
        assert [side["assistant"] for side in replayed] == [t.assistant for t in scenario.turns]
        assert [[(c["name"], c["arguments"]) for c in side["tool_calls"]] for side in replayed] == [
            [(c.name, c.arguments) for c in t.tool_calls] for t in scenario.turns
        ]
        assert [side["llm_sources"] for side in replayed] == [
            ["recorded"] * len(t.llm_calls) for t in scenario.turns
        ]
    assert [t["replayed"]["assistant"] for t in runs[0][1]["turns"]] == [
        t["replayed"]["assistant"] for t in runs[1][1]["turns"]
    ]


@pytest.mark.usefixtures("no_model_server")
def test_a_changed_system_prompt_misses_naming_what_differed(
    record: Callable[[str], Recording], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = record("openinference")
    store_url = recording.copy_store(tmp_path)
    monkeypatch.setattr(example_agent, "SYSTEM_PROMPT", "You are a pirate. Say arr.")

    code, run = _replay(store_url, recording.session_id, "--llm", "recorded")

    assert code == 1
    first = run["turns"][0]
    assert "no_recorded_match" in first["error"] or "matches" in first["error"]
    assert any("system message differs" in d for d in first["divergences"])
    assert first["replayed"]["llm_sources"] == ["unanswered"]


@pytest.mark.usefixtures("no_model_server")
def test_hybrid_mode_sends_only_the_misses_upstream(
    record: Callable[[str], Recording], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = record("openinference")
    store_url = recording.copy_store(tmp_path)
    monkeypatch.setattr(example_agent, "SYSTEM_PROMPT", "You are a pirate. Say arr.")
    monkeypatch.setenv("OPENAI_API_KEY", "upstream-key")

    with FakeOpenAIServer(scripted_model, model=FAKE_RESPONSE_MODEL) as upstream:
        code, run = _replay(
            store_url, recording.session_id, "--llm", "hybrid", "--llm-upstream", upstream.base_url
        )
        sent = upstream.exchanges

    assert code == 0, run
    sources = [s for turn in run["turns"] for s in turn["replayed"]["llm_sources"]]
    assert sources and set(sources) == {"live"}  # every request changed: all went upstream
    assert len(sent) == len(sources)
    assert all(e.headers.get("authorization") == "Bearer upstream-key" for e in sent)
