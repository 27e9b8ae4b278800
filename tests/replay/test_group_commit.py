"""replay_many stores its runs in group commits: a run is reported (on_done, the returned
list) only once it is committed, and a failing report does not lose the other runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from otel_replay.core.runs import ReplayRun, RunStatus
from otel_replay.replay.agents import ChatMessage
from otel_replay.replay.runner import replay_many
from otel_replay.scenario.model import (
    AgentSpec,
    Scenario,
    ScenarioSource,
    ScenarioTurn,
    SourceKind,
    TurnMetrics,
)
from otel_replay.store import SqlSpanStore, open_store
from tests.conftest import opened_store


@pytest.fixture
def store(store_url: str) -> Iterator[SqlSpanStore]:
    yield from opened_store(store_url)


class _EchoAgent:
    def __call__(self, messages: list[ChatMessage]) -> ChatMessage:
        return {"role": "assistant", "content": f"echo: {messages[-1]['content']}"}

    def close(self) -> None:
        pass


def _scenarios(count: int) -> list[Scenario]:
    return [
        Scenario(
            name=f"echo-{n}",
            source=ScenarioSource(
                kind=SourceKind.TRACE,
                session_id=f"s-{n}",
                trace_ids=[f"{n + 1:032x}"],
                span_ids=[f"{n + 1:016x}"],
            ),
            agent=AgentSpec(model="echo"),
            turns=[
                ScenarioTurn(
                    index=0,
                    trace_id=f"{n + 1:032x}",
                    span_id=f"{n + 1:016x}",
                    user=f"message {n}",
                    assistant=f"echo: message {n}",
                    metrics=TurnMetrics(latency_ms=1.0, llm_calls=0, tool_calls=0, errors=0),
                )
            ],
            graph={},
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("concurrency", [1, 4])
def test_each_run_is_committed_before_it_is_reported(store: SqlSpanStore, concurrency: int) -> None:
    reader = open_store(store.url)  # another connection sees only committed data
    seen: list[str] = []

    def on_done(run: ReplayRun) -> None:
        stored = reader.get_run(run.run_id)
        assert stored is not None, f"run {run.run_id} reported before it was committed"
        assert reader.get_trace(run.trace_ids[0]) is not None
        seen.append(run.scenario)

    try:
        scenarios = _scenarios(12)
        runs = replay_many(
            scenarios,
            _EchoAgent,
            store,
            agent_label="echo",
            concurrency=concurrency,
            on_done=on_done,
        )
    finally:
        reader.close()
    assert [r.scenario for r in runs] == [s.name for s in scenarios]
    assert sorted(seen) == sorted(s.name for s in scenarios)
    assert all(r.status is RunStatus.OK for r in runs)
    for run in runs:
        (turn,) = run.turns
        assert turn.replayed is not None and turn.replayed.assistant == f"echo: {turn.user}"
        spans = store.get_spans(run.trace_ids)
        assert {s.name for s in spans} == {
            f"otel_replay.replay {run.scenario}",
            "otel_replay.turn 1",
        }


def test_a_failing_report_is_raised_and_the_other_runs_are_still_stored(
    store: SqlSpanStore,
) -> None:
    reported: list[str] = []

    def on_done(run: ReplayRun) -> None:
        if run.scenario == "echo-2":
            raise RuntimeError("the caller could not take echo-2")
        reported.append(run.run_id)

    with pytest.raises(RuntimeError, match="could not take echo-2"):
        replay_many(
            _scenarios(5), _EchoAgent, store, agent_label="echo", concurrency=2, on_done=on_done
        )
    assert len(reported) == 4
    stored = {record.scenario_name for record in store.list_runs(limit=10)}
    assert stored == {f"echo-{n}" for n in range(5)}
