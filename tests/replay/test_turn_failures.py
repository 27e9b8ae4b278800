"""A misbehaving agent fails its turns, never the replay: errors, exits, hangs and bad replies
are one-line turn errors, the run is stored, and the command exits 1 (0 only when whole)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from otel_replay.app.conversations import session_scenario
from otel_replay.cli.main import cli
from otel_replay.core.runs import ReplayRun, RunStatus
from otel_replay.replay.agents import load_agent
from otel_replay.replay.runner import ReplayOptions, replay_scenario
from otel_replay.store import SqlSpanStore
from tests.conftest import opened_store
from tests.replay import failing_agents

INCIDENT = "support-session-003"
AGENTS = "tests.replay.failing_agents"


@pytest.fixture
def store(support_store_url: str) -> Iterator[SqlSpanStore]:
    yield from opened_store(support_store_url)


def _replay(store: SqlSpanStore, agent: str, options: ReplayOptions | None = None) -> ReplayRun:
    scenario = session_scenario(store, INCIDENT)
    return replay_scenario(
        scenario, load_agent(f"{AGENTS}:{agent}"), store, agent_label=agent, options=options
    )


def _errors(run: ReplayRun) -> list[str | None]:
    return [turn.error for turn in run.turns]


def _only(run: ReplayRun, index: int, error: str) -> list[str | None]:
    """Every turn without an error but turn `index` (0-based)."""
    return [error if turn.index == index else None for turn in run.turns]


def test_an_agent_failing_one_turn_fails_that_turn_and_the_replay_goes_on(
    store: SqlSpanStore,
) -> None:
    run = _replay(store, "fails_on_turn_3")

    assert run.status is RunStatus.TURN_FAILED
    assert _errors(run) == _only(run, 2, "RuntimeError: lookup service unreachable")
    assert run.turns[3].replayed is not None and run.turns[3].replayed.assistant
    assert not run.passed


def test_sys_exit_in_the_agent_is_a_turn_error(store: SqlSpanStore) -> None:
    run = _replay(store, "exits_on_turn_2")

    assert _errors(run) == _only(run, 1, "SystemExit: 3")
    assert run.status is RunStatus.TURN_FAILED


def test_a_hung_turn_is_cut_at_the_turn_timeout(store: SqlSpanStore) -> None:
    failing_agents.RELEASE.clear()
    try:
        run = _replay(store, "hangs_on_turn_2", ReplayOptions(turn_timeout=0.5))
    finally:
        failing_agents.RELEASE.set()

    assert _errors(run) == _only(run, 1, "turn 2 timed out after 0.5 s")
    assert run.status is RunStatus.TURN_FAILED
    assert run.options["turn_timeout"] == 0.5
    assert all(t.replayed and t.replayed.assistant for t in run.turns[2:])


def test_a_reply_without_content_is_an_agent_error(store: SqlSpanStore) -> None:
    run = _replay(store, "answers_a_foreign_dict")

    assert run.status is RunStatus.AGENT_FAILED
    assert all(error and "without a text 'content'" in error for error in _errors(run))


def test_a_factory_that_cannot_start_fails_every_turn_in_one_line_and_is_stored(
    store: SqlSpanStore,
) -> None:
    run = _replay(store, "BrokenFactory")

    assert run.status is RunStatus.AGENT_FAILED
    assert set(_errors(run)) == {
        "the agent could not be created: ValueError: missing OPENAI_API_KEY"
    }
    assert store.get_run(run.run_id) is not None
    # Nothing of the failed replay stays registered: the next one captures normally.
    assert _replay(store, "fails_on_turn_3").turns[0].replayed is not None


@pytest.mark.parametrize(
    ("agent", "extra", "code"),
    [
        ("otel_replay.demo.support_agent:fixed_agent", ["--live-tools", "check_status"], 0),
        (f"{AGENTS}:fails_on_turn_3", [], 1),
        (f"{AGENTS}:answers_a_foreign_dict", [], 1),
        (f"{AGENTS}:BrokenFactory", [], 1),
        (f"{AGENTS}:exits_on_turn_2", [], 1),
        ("no_such_module:agent", [], 2),
    ],
)
def test_replay_exits_0_only_when_every_turn_ran(
    store: SqlSpanStore, agent: str, extra: list[str], code: int
) -> None:
    result = CliRunner().invoke(
        cli, ["replay", INCIDENT, "--agent", agent, "--store", store.url, "--json", *extra]
    )

    assert result.exit_code == code, result.output
    if code != 2:
        shown = json.loads(result.stdout)
        assert (shown["status"] == "ok") == (code == 0)


def test_diff_of_a_run_with_a_failed_turn_exits_1(store: SqlSpanStore) -> None:
    failed = _replay(store, "fails_on_turn_3")
    second = _replay(store, "fails_on_turn_3")

    assert CliRunner().invoke(cli, ["diff", failed.run_id, "--store", store.url]).exit_code == 1
    both = CliRunner().invoke(cli, ["diff", INCIDENT, second.run_id, "--store", store.url])
    assert both.exit_code == 1
    sessions = CliRunner().invoke(cli, ["diff", INCIDENT, INCIDENT, "--store", store.url])
    assert sessions.exit_code == 0, sessions.output


def test_ctrl_c_stores_the_finished_turns_as_an_interrupted_run(store: SqlSpanStore) -> None:
    run = _replay(store, "interrupted_on_turn_2")

    assert run.status is RunStatus.INTERRUPTED
    assert run.turns[0].replayed is not None and run.turns[0].error is None
    assert run.turns[1].error == "turn 2 interrupted"
    assert all(turn.replayed is None for turn in run.turns[2:])
    assert store.get_run(run.run_id) is not None
    result = CliRunner().invoke(
        cli,
        ["replay", INCIDENT, "--agent", f"{AGENTS}:interrupted_on_turn_2", "--store", store.url],
    )
    assert result.exit_code == 1
    assert "interrupted: the finished turns are stored with the run" in result.output
