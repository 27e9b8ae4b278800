"""A case saved from a replay of a session recorded with the real openai client keeps its
baseline's LLM exchanges (cassette.json), so `otel-replay test` runs it with no model server,
for free, and the same way every time; a changed request fails in `--llm recorded`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from examples.openai_agent import agent as example_agent
from examples.openai_agent.fake_model import FAKE_RESPONSE_MODEL, scripted_model
from otel_replay.cli.main import cli
from otel_replay.regression.cassette import CASSETTE_FILE, CassetteDocument
from otel_replay.regression.files import load_case
from otel_replay.replay.runner import load_run
from otel_replay.store import open_store
from otel_replay.testing import FakeOpenAIServer
from tests.integration.conftest import REPO_ROOT, Recording, _record
from tests.quiet_pytest import QUIET_PLUGINS

AGENT = "examples.openai_agent.agent:answer"
TRACED_AGENT = "examples.openai_agent.agent:openinference_agent"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    return _record("openinference", tmp_path_factory.mktemp("openinference"))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model server anywhere: nothing but the stand-in could answer the agent."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def saved_case(recording: Recording, tmp_path: Path, offline: None) -> tuple[Path, str]:
    store_url = recording.copy_store(tmp_path)
    cases = tmp_path / "cases"
    saved = _invoke(
        "replay",
        recording.session_id,
        "--agent",
        AGENT,
        "--llm",
        "recorded",
        "--store",
        store_url,
        "--save",
        str(cases),
    )
    assert saved.exit_code == 0, saved.output
    return cases / recording.session_id, store_url


def test_a_saved_case_keeps_its_baselines_llm_exchanges_per_turn(
    saved_case: tuple[Path, str], recording: Recording
) -> None:
    folder, _ = saved_case
    document = CassetteDocument.model_validate_json((folder / CASSETTE_FILE).read_text())
    raw = json.loads((folder / CASSETTE_FILE).read_text())
    assert (raw["kind"], raw["version"], raw["turn_numbering"]) == (
        "otel-replay/cassette",
        1,
        "0-based",
    )
    loaded = load_case(folder)
    assert document.run_id == loaded.baseline.run_id
    assert [t.turn for t in document.turns] == [t.index for t in loaded.scenario.turns]
    assert document.exchange_count == sum(len(t.llm_calls) for t in loaded.scenario.turns)
    replies = [t.replayed.assistant for t in loaded.baseline.turns if t.replayed]
    assert replies == recording.replies


def test_a_saved_case_passes_offline_and_deterministically_ten_times(
    saved_case: tuple[Path, str], tmp_path: Path
) -> None:
    folder, store_url = saved_case
    before = (folder / CASSETTE_FILE).read_bytes()
    for _ in range(10):
        result = _invoke("test", str(folder), "--store", store_url)
        assert result.exit_code == 0, result.output
        assert "1 passed, 0 failed" in result.output
    store = open_store(store_url)
    try:
        runs = [load_run(r) for r in store.list_runs(10)]
    finally:
        store.close()
    assert len(runs) == 10
    outputs = [
        [
            (
                t.replayed.assistant,
                [(c.name, c.arguments) for c in t.replayed.tool_calls],
                t.replayed.llm_sources,
            )
            for t in run.turns
            if t.replayed is not None
        ]
        for run in runs
    ]
    assert all(output == outputs[0] for output in outputs)
    assert {s for turn in outputs[0] for s in turn[2]} == {"recorded"}
    assert (folder / CASSETTE_FILE).read_bytes() == before  # record mode none: read only


def test_recorded_mode_fails_a_changed_request_naming_what_differed(
    saved_case: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, store_url = saved_case
    monkeypatch.setattr(example_agent, "SYSTEM_PROMPT", "You are a pirate. Say arr.")
    result = _invoke("test", str(folder), "--store", store_url, "--llm", "recorded")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output
    assert "turn 1" in result.output


def test_record_mode_all_rewrites_the_cassette_from_this_run(
    saved_case: tuple[Path, str], tmp_path: Path
) -> None:
    folder, store_url = saved_case
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    before = CassetteDocument.model_validate_json((copy / CASSETTE_FILE).read_text())
    result = _invoke("test", str(copy), "--store", store_url, "--record-mode", "all")
    assert result.exit_code == 0, result.output
    assert f"cassette written: {copy}" in result.output
    after = CassetteDocument.model_validate_json((copy / CASSETTE_FILE).read_text())
    assert after.run_id != before.run_id
    assert after.turns == before.turns


def test_new_episodes_appends_the_live_answers_so_the_next_run_is_offline(
    saved_case: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, store_url = saved_case
    before = CassetteDocument.model_validate_json((folder / CASSETTE_FILE).read_text())
    monkeypatch.setattr(example_agent, "SYSTEM_PROMPT", "You are a pirate. Say arr.")
    monkeypatch.setenv("OPENAI_API_KEY", "upstream-key")
    with FakeOpenAIServer(scripted_model, model=FAKE_RESPONSE_MODEL) as upstream:
        first = _invoke(
            "test",
            str(folder),
            "--store",
            store_url,
            "--llm-upstream",
            upstream.base_url,
            "--record-mode",
            "new_episodes",
        )
        asked = len(upstream.exchanges)
    assert first.exit_code in (0, 1), first.output
    assert asked > 0 and f"cassette written: {folder}" in first.output
    after = CassetteDocument.model_validate_json((folder / CASSETTE_FILE).read_text())
    assert after.exchange_count == before.exchange_count + asked
    assert after.run_id == before.run_id
    live = [e for t in after.turns for e in t.exchanges if e.source == "live"]
    assert len(live) == asked

    # The changed agent now runs from the cassette alone: no upstream at all.
    second = _invoke("test", str(folder), "--store", store_url, "--llm", "recorded")
    assert second.exit_code == first.exit_code, second.output
    store = open_store(store_url)
    try:
        (latest,) = [load_run(r) for r in store.list_runs(1)]
    finally:
        store.close()
    sources = {s for t in latest.turns if t.replayed for s in t.replayed.llm_sources}
    assert sources == {"recorded"}


def test_a_case_saved_from_a_live_replay_takes_its_cassette_from_the_replay_trace(
    recording: Recording, tmp_path: Path
) -> None:
    """The OpenInference-instrumented agent traces its model calls during the replay; those
    (not the recording's) become the cassette. Child processes: the instrumentation patches
    the openai module for good."""
    store_url = recording.copy_store(tmp_path)
    cases = tmp_path / "cases"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
    with FakeOpenAIServer(scripted_model, model=FAKE_RESPONSE_MODEL) as model:
        saved = _otel_replay(
            [
                *("replay", recording.session_id, "--agent", TRACED_AGENT),
                *("--save", str(cases), "--store", store_url),
            ],
            dict(env, OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="live-key"),
        )
        asked = len(model.exchanges)
    assert saved.returncode == 0, saved.stderr
    folder = cases / recording.session_id
    document = CassetteDocument.model_validate_json((folder / CASSETTE_FILE).read_text())
    assert document.run_id == load_case(folder).baseline.run_id
    assert document.exchange_count == asked
    assert [t.turn for t in document.turns] == [0, 1, 2]

    offline = _otel_replay(["test", str(cases), "--store", store_url, "--llm", "recorded"], env)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "1 passed, 0 failed" in offline.stdout


def _otel_replay(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from otel_replay.cli.main import main; main()", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_approving_a_run_served_wholly_from_the_cassette_keeps_the_cassette(
    saved_case: tuple[Path, str],
) -> None:
    folder, store_url = saved_case
    before = CassetteDocument.model_validate_json((folder / CASSETTE_FILE).read_text())
    assert _invoke("test", str(folder), "--store", store_url).exit_code == 0
    store = open_store(store_url)
    try:
        (latest,) = [load_run(r) for r in store.list_runs(1)]
    finally:
        store.close()

    approved = _invoke("approve", latest.run_id, str(folder), "--store", store_url)

    assert approved.exit_code == 0, approved.output
    assert "cassette kept" in approved.output and "tool sequences unchanged" in approved.output
    assert load_case(folder).baseline.run_id == latest.run_id
    after = CassetteDocument.model_validate_json((folder / CASSETTE_FILE).read_text())
    assert after.turns == before.turns
    assert _invoke("test", str(folder), "--store", store_url, "--llm", "recorded").exit_code == 0


def test_the_pytest_plugin_runs_the_saved_case_offline_from_its_cassette(
    saved_case: tuple[Path, str], pytester: pytest.Pytester
) -> None:
    folder, _ = saved_case
    shutil.copytree(folder, pytester.path / "cases" / folder.name)
    result = pytester.runpytest("cases", "--otel-replay-llm=recorded", *QUIET_PLUGINS)
    result.assert_outcomes(passed=1)
