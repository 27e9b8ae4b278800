"""The buggy support agent recorded through OTLP into a real receiver: replay it, check links."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.app.conversations import session_scenario
from otel_replay.cli.main import cli
from otel_replay.core.runs import HistoryMode, RunStatus
from otel_replay.demo import support_agent
from otel_replay.replay.agents import load_agent
from otel_replay.replay.links import LINK_TYPE_KEY, REPLAY_OF
from otel_replay.replay.runner import ReplayOptions, replay_scenario
from otel_replay.scenario.files import write_scenario
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.model import SpanRole
from otel_replay.store import SqlSpanStore
from tests.conftest import opened_store

INCIDENT = "support-session-003"


@pytest.fixture
def store(support_store_url: str) -> Iterator[SqlSpanStore]:
    yield from opened_store(support_store_url)


def _links(span: object) -> list[tuple[str, str]]:
    return [
        (link.trace_id, link.span_id)
        for link in span.links  # type: ignore[attr-defined]
        if link.attributes.get(LINK_TYPE_KEY) == REPLAY_OF
    ]


def test_recorded_incident_reconstructs_with_the_refund_at_turn_four(store: SqlSpanStore) -> None:
    scenario = session_scenario(store, INCIDENT)
    assert [t.user for t in scenario.turns] == support_agent.CUSTOMER_SESSIONS[INCIDENT]
    turn_4 = scenario.turns[3]
    assert [(t.name, t.arguments) for t in turn_4.tool_calls] == [
        ("issue_refund", {"order_id": "123"})
    ]
    assert turn_4.assistant == "I have refunded order 123."


def test_replay_against_the_fixed_agent_changes_turn_four_and_never_runs_tools(
    store: SqlSpanStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []
    monkeypatch.setattr(support_agent, "ORDERS", _Tripwire(ran))
    monkeypatch.setattr(support_agent, "REFUNDS", _Tripwire(ran))
    scenario = session_scenario(store, INCIDENT)
    run = replay_scenario(
        scenario,
        load_agent("otel_replay.demo.support_agent:fixed_agent"),
        store,
        agent_label="fixed",
    )
    assert run.status is RunStatus.OK
    assert ran == []  # neither tool body touched the warehouse: recorded results were served
    replies = [t.replayed.assistant if t.replayed else None for t in run.turns]
    originals = [t.original.assistant for t in run.turns]
    assert replies[:3] == originals[:3]
    assert replies[4] == originals[4]
    turn_3, turn_4 = run.turns[2], run.turns[3]
    assert turn_3.replayed is not None and turn_4.replayed is not None
    assert [(t.name, t.source) for t in turn_3.replayed.tool_calls] == [
        ("check_status", "recorded")
    ]
    assert [(t.name, t.arguments, t.source) for t in turn_4.replayed.tool_calls] == [
        ("check_status", {"order_id": "123"}, "unmatched")
    ]
    assert [t.name for t in turn_4.original.tool_calls] == ["issue_refund"]
    assert "check_status" in turn_4.divergences[0] and "issue_refund" in turn_4.divergences[0]
    assert replies[3] is not None and replies[3].startswith("Sorry, I could not do that")


def test_every_replayed_turn_llm_and_tool_span_links_to_its_original(store: SqlSpanStore) -> None:
    scenario = session_scenario(store, INCIDENT)
    run = replay_scenario(
        scenario,
        load_agent("otel_replay.demo.support_agent:buggy_agent"),
        store,
        agent_label="buggy",
    )
    spans = store.get_spans(run.trace_ids)
    by_id = {s.span_id: s for s in spans}
    original_llm = {(c.trace_id, c.span_id) for t in scenario.turns for c in t.llm_calls}
    original_tools = {(t.trace_id, t.span_id) for turn in scenario.turns for t in turn.tool_calls}
    for turn in run.turns:
        assert turn.span_id is not None
        assert _links(by_id[turn.span_id]) == [(turn.original_trace_id, turn.original_span_id)]
    llm_spans = [s for s in spans if classify_span(s) is SpanRole.LLM]
    tool_spans = [s for s in spans if classify_span(s) is SpanRole.TOOL]
    assert len(llm_spans) == sum(len(t.llm_calls) for t in scenario.turns)
    assert len(tool_spans) == sum(len(t.tool_calls) for t in scenario.turns)
    for span in llm_spans:
        (target,) = _links(span)
        assert target in original_llm
    for span in tool_spans:
        (target,) = _links(span)
        assert target in original_tools
    root = next(s for s in spans if not s.parent_span_id)
    assert root.attributes["otel_replay.run.id"] == run.run_id
    assert root.attributes["otel_replay.original.session_id"] == INCIDENT
    (stored_trace,) = store.list_traces(session_id=run.session_id)
    assert stored_trace.trace_id == run.trace_ids[0]
    result = CliRunner().invoke(cli, ["trace", run.trace_ids[0], "--store", store.url, "--json"])
    assert result.exit_code == 0, result.output
    assert '"replay_of"' in result.output


def test_recorded_history_shows_the_recorded_answers(store: SqlSpanStore) -> None:
    seen: list[list[dict[str, object]]] = []

    def agent(messages: list[dict[str, object]]) -> str:
        seen.append(messages)
        return "replayed answer"

    scenario = session_scenario(store, INCIDENT)
    replay_scenario(
        scenario,
        lambda: _Session(agent),
        store,
        agent_label="probe",
        options=ReplayOptions(history=HistoryMode.RECORDED),
    )
    assert seen[1][1] == {"role": "assistant", "content": scenario.turns[0].assistant}
    replay_scenario(scenario, lambda: _Session(agent), store, agent_label="probe")
    assert seen[-1][1] == {"role": "assistant", "content": "replayed answer"}


def test_cli_replay_prints_json_and_exits_one_when_the_agent_always_raises(
    store: SqlSpanStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario_file = tmp_path / "incident.json"
    write_scenario(session_scenario(store, INCIDENT), scenario_file)
    (tmp_path / "agents_under_test.py").write_text(
        "def broken(messages):\n    raise RuntimeError('model down')\n"
        "from otel_replay.demo.support_agent import fixed_agent as fixed\n"
    )
    monkeypatch.chdir(tmp_path)  # MODULE:ATTR is imported from the current folder, as uvicorn does
    runner = CliRunner()
    base = ["replay", str(scenario_file), "--store", store.url]
    ok = runner.invoke(cli, [*base, "--agent", "agents_under_test:fixed", "--json"])
    broken = runner.invoke(cli, [*base, "--agent", "agents_under_test:broken"])
    missing = runner.invoke(cli, [*base, "--agent", "agents_under_test:nope"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["scenario"] == INCIDENT and len(data["turns"]) == 5
    assert data["turns"][3]["original"]["tool_calls"][0]["name"] == "issue_refund"
    assert data["turns"][3]["replayed"]["tool_calls"][0]["name"] == "check_status"
    assert all(t["trace_id"] == data["trace_ids"][0] for t in data["turns"])
    assert broken.exit_code == 1
    assert missing.exit_code == 2
    assert "has no attribute" in missing.output
    runs = runner.invoke(cli, ["runs", "--store", store.url, "--json"])
    assert runs.exit_code == 0
    assert data["run_id"] in {r["run_id"] for r in json.loads(runs.output)}


class _Session:
    def __init__(self, function: object) -> None:
        self._function = function

    def __call__(self, messages: list[dict[str, object]]) -> dict[str, object]:
        return {"role": "assistant", "content": self._function(messages)}  # type: ignore[operator]

    def close(self) -> None:
        pass


class _Tripwire(dict[str, str]):
    """Stands in for the warehouse: records any read or write a tool body makes."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self._log = log

    def get(self, key: str, default: object = None) -> str:  # type: ignore[override]
        self._log.append(f"read {key}")
        return "touched"

    def append(self, value: str) -> None:
        self._log.append(f"refund {value}")


def test_trials_report_the_agents_own_spread(store: SqlSpanStore, tmp_path: Path) -> None:
    report = tmp_path / "trials.json"
    result = CliRunner().invoke(
        cli,
        [
            "replay",
            INCIDENT,
            "--agent",
            "otel_replay.demo.support_agent:buggy_agent",
            "--trials",
            "3",
            "--store",
            store.url,
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"3 trials of {INCIDENT}:" in result.output
    assert "turn 4: tools stable: [issue_refund] x3" in result.output
    document = json.loads(report.read_text())
    (only,) = document["reports"]
    assert only["trials"]["trials"] == 3


def test_scenario_expectations_are_scored_and_stored_with_the_run(
    store: SqlSpanStore, tmp_path: Path
) -> None:
    from otel_replay.scenario.files import read_scenario
    from otel_replay.scenario.model import Expectation

    scenario = session_scenario(store, INCIDENT)
    expecting = scenario.model_copy(
        update={
            "expectations": [
                Expectation(evaluator="tool_not_called", turn=3, args={"tool": "issue_refund"}),
                Expectation(evaluator="latency_budget", args={"max_ms": 60_000}),
            ]
        }
    )
    path = tmp_path / "expecting.json"
    write_scenario(expecting, path)
    assert read_scenario(path).expectations == expecting.expectations
    runner = CliRunner()
    replay = [
        *("replay", str(path), "--agent", "otel_replay.demo.support_agent:buggy_agent"),
        *("--store", store.url),
    ]
    buggy = runner.invoke(cli, replay)
    assert buggy.exit_code == 1, buggy.output  # a failed check fails the command
    assert "expectations: 5 passed, 1 failed" in buggy.output
    assert "turn 4: tool_not_called" in buggy.output
    run_id = store.list_runs(1)[0].run_id
    shown = json.loads(runner.invoke(cli, ["runs", run_id, "--store", store.url, "--json"]).output)
    assert [s["passed"] for s in shown["scores"]] == [False, True, True, True, True, True]
    bad = expecting.model_copy(update={"expectations": [Expectation(evaluator="nope")]})
    write_scenario(bad, path)
    refused = runner.invoke(cli, replay)
    assert refused.exit_code == 2
    assert "nope" in refused.output and "tool_calls_equal" in refused.output
