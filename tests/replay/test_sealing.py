"""Sealed means sealed: recorded tools answer from the recording wherever the agent calls them
(worker threads, pools, executors, async turns), and a recorded tool that runs for real anyway
fails the run."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import JsonValue

from otel_replay.app.conversations import session_scenario
from otel_replay.core.records import Span
from otel_replay.core.runs import ReplayRun, RunStatus
from otel_replay.demo import support_agent
from otel_replay.replay.agents import load_agent
from otel_replay.replay.matchers import RecordedToolCall, ToolPlayback
from otel_replay.replay.runner import ReplayOptions, replay_many, replay_scenario
from otel_replay.replay.sealing import (
    UnattributedToolCallError,
    active_replay,
    sealed_turn,
    tool_playback,
)
from otel_replay.scenario.model import Scenario
from otel_replay.store import SqlSpanStore, open_store
from tests.replay import sealing_agents
from tests.replay.conftest import redirect_side_effects
from tests.replay.sealing_agents import recorded_call, recorded_scenario

AGENTS = "tests.replay.sealing_agents"
NONE: frozenset[str] = frozenset()
REFUNDED: JsonValue = {"order_id": "123", "refund": "recorded, not issued"}


@pytest.fixture
def side_effects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return redirect_side_effects(sealing_agents, tmp_path, monkeypatch)


def _refund_scenario(name: str = "refund-123") -> Scenario:
    return recorded_scenario(
        name, [("please refund order 123", [recorded_call("issue_refund", "123", REFUNDED, 1)])]
    )


def _replay(agent: str, scenario: Scenario, store: SqlSpanStore) -> ReplayRun:
    return replay_scenario(scenario, load_agent(f"{AGENTS}:{agent}"), store, agent_label=agent)


def _ancestors(span: Span, by_id: dict[str, Span]) -> list[str]:
    chain = []
    while span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        chain.append(span.span_id)
    return chain


@pytest.mark.parametrize(
    "agent",
    [
        "via_thread_pool",
        "via_shared_pool",
        "via_run_in_executor",
        "via_to_thread",
        "via_plain_thread",
        "via_copied_context",
    ],
)
def test_refund_called_from_a_worker_thread_is_served_the_recording_and_never_runs(
    agent: str, side_effects: Path, store: SqlSpanStore, finished_spans: InMemorySpanExporter
) -> None:
    run = _replay(agent, _refund_scenario(), store)
    assert list(side_effects.iterdir()) == []
    assert run.status is RunStatus.OK
    (turn,) = run.turns
    assert turn.error is None and turn.divergences == []
    assert turn.replayed is not None
    assert json.loads(turn.replayed.assistant or "") == REFUNDED
    # The tool span lands under the turn span, in the replay trace, linked to the original.
    assert [(t.name, t.source) for t in turn.replayed.tool_calls] == [("issue_refund", "recorded")]
    spans = store.get_spans(run.trace_ids)
    by_id = {s.span_id: s for s in spans}
    (tool_span,) = [s for s in spans if s.name == "execute_tool issue_refund"]
    assert turn.span_id in _ancestors(tool_span, by_id)


@pytest.fixture
def background_loop(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    monkeypatch.setattr(sealing_agents, "BACKGROUND_LOOP", loop)
    yield
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


@pytest.mark.usefixtures("background_loop")
def test_refund_called_on_an_event_loop_started_before_the_replay_is_sealed(
    side_effects: Path, store: SqlSpanStore
) -> None:
    run = _replay("via_background_loop", _refund_scenario(), store)
    assert list(side_effects.iterdir()) == []
    assert run.status is RunStatus.OK
    (turn,) = run.turns
    assert turn.replayed is not None
    assert json.loads(turn.replayed.assistant or "") == REFUNDED
    assert [(t.name, t.source) for t in turn.replayed.tool_calls] == [("issue_refund", "recorded")]


def test_a_live_tool_called_from_a_plain_thread_runs_for_real_under_its_turn(
    side_effects: Path, store: SqlSpanStore
) -> None:
    factory = load_agent(f"{AGENTS}:via_plain_thread")
    options = ReplayOptions(live_tools=frozenset({"issue_refund"}))
    run = replay_scenario(_refund_scenario(), factory, store, agent_label="x", options=options)
    assert [p.name for p in side_effects.iterdir()] == ["refund-123"]
    assert run.status is RunStatus.OK
    (turn,) = run.turns
    assert turn.replayed is not None
    assert [(t.name, t.source) for t in turn.replayed.tool_calls] == [("issue_refund", "live")]


def _two_refund_scenarios() -> list[Scenario]:
    return [
        recorded_scenario(
            f"refund-{order}",
            [(f"refund order {order}", [recorded_call("issue_refund", order, result, 1)])],
        )
        for order, result in (("123", REFUNDED), ("456", {"order_id": "456", "refund": "held"}))
    ]


@pytest.fixture
def two_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sealing_agents, "BARRIER", threading.Barrier(2))


@pytest.mark.usefixtures("two_at_once")
def test_two_concurrent_replays_refuse_a_tool_call_no_turn_can_be_tied_to(
    side_effects: Path, store: SqlSpanStore
) -> None:
    factory = load_agent(f"{AGENTS}:concurrent_plain_thread")
    runs = replay_many(_two_refund_scenarios(), factory, store, agent_label="x", concurrency=2)
    assert list(side_effects.iterdir()) == []
    for run in runs:
        (turn,) = run.turns
        assert turn.replayed is not None and turn.replayed.assistant is not None
        assert "tool issue_refund" in turn.replayed.assistant
        assert "could not be tied to a replay turn" in turn.replayed.assistant
        assert "contextvars.copy_context" in turn.replayed.assistant
        # The agent swallowed the error; the run still says the call was refused.
        assert turn.error is not None and turn.error.startswith("turn 1: tool issue_refund")


@pytest.mark.usefixtures("two_at_once")
def test_two_concurrent_replays_each_serve_their_own_recording_to_a_copied_context(
    side_effects: Path, store: SqlSpanStore
) -> None:
    scenarios = _two_refund_scenarios()
    factory = load_agent(f"{AGENTS}:concurrent_copied_context")
    runs = replay_many(scenarios, factory, store, agent_label="x", concurrency=2)
    assert list(side_effects.iterdir()) == []
    for run, scenario in zip(runs, scenarios, strict=True):
        (turn,) = run.turns
        assert run.status is RunStatus.OK and turn.error is None
        assert turn.replayed is not None
        assert json.loads(turn.replayed.assistant or "") == scenario.turns[0].tool_calls[0].result


def test_a_thread_carrying_the_replay_trace_is_tied_to_its_replay_among_several(
    finished_spans: InMemorySpanExporter, side_effects: Path
) -> None:
    """What a threading instrumentation does: the OTel context crosses, our playback not."""
    tracer = trace.get_tracer("tests")
    first = ToolPlayback(0, [RecordedToolCall("issue_refund", {"order_id": "1"}, "first")])
    second = ToolPlayback(0, [RecordedToolCall("issue_refund", {"order_id": "1"}, "second")])
    with ExitStack() as stack:
        spans = []
        for playback in (first, second):
            root = Context()  # each replay is a trace of its own
            span = stack.enter_context(tracer.start_as_current_span("turn 1", context=root))
            replay = stack.enter_context(active_replay(span.get_span_context().trace_id, NONE))
            stack.enter_context(sealed_turn(replay, playback))
            spans.append(span)
        stack.enter_context(tool_playback(None))  # this context belongs to no turn
        with ThreadPoolExecutor(max_workers=1) as pool:

            def call_in(span: trace.Span) -> object:
                with trace.use_span(span):
                    return sealing_agents.issue_refund("1")

            assert pool.submit(call_in, spans[0]).result() == "first"
            assert pool.submit(call_in, spans[1]).result() == "second"
            with pytest.raises(UnattributedToolCallError, match="2 replays are running"):
                pool.submit(sealing_agents.issue_refund, "1").result()
    assert list(side_effects.iterdir()) == []
    assert first.refused == second.refused != []


def test_a_tool_called_between_turns_of_a_replay_is_refused(side_effects: Path) -> None:
    with active_replay(1, NONE), pytest.raises(UnattributedToolCallError, match="between"):
        sealing_agents.issue_refund("1")
    assert list(side_effects.iterdir()) == []
    assert sealing_agents.issue_refund("1") == {"order_id": "1", "refund": "issued"}


def test_each_turn_of_an_async_agent_answers_from_its_own_recording_under_its_own_span(
    side_effects: Path, store: SqlSpanStore, finished_spans: InMemorySpanExporter
) -> None:
    recorded = [
        ("where is order 1", "check_status", "1", {"order_id": "1", "status": "recorded 1"}),
        ("refund order 2", "issue_refund", "2", {"order_id": "2", "refund": "recorded 2"}),
        ("refund order 3, too", "issue_refund", "3", {"order_id": "3", "refund": "recorded 3"}),
    ]
    scenario = recorded_scenario(
        "async-three-turns",
        [
            (user, [recorded_call(name, order, result, index + 1)])
            for index, (user, name, order, result) in enumerate(recorded)
        ],
    )
    run = _replay("async_support", scenario, store)
    assert list(side_effects.iterdir()) == []
    assert run.status is RunStatus.OK
    spans = store.get_spans(run.trace_ids)
    by_id = {s.span_id: s for s in spans}
    turn_span_ids = {turn.span_id for turn in run.turns}
    for turn, (_, name, order, result) in zip(run.turns, recorded, strict=True):
        assert turn.error is None and turn.divergences == []
        assert turn.replayed is not None
        assert json.loads(turn.replayed.assistant or "") == result
        assert [(t.name, t.arguments, t.source) for t in turn.replayed.tool_calls] == [
            (name, {"order_id": order}, "recorded")
        ]
        (tool_span,) = [
            s for s in spans if s.attributes.get("gen_ai.tool.call.id") == f"call_{turn.index + 1}"
        ]
        assert turn_span_ids & set(_ancestors(tool_span, by_id)) == {turn.span_id}


def _framework_scenario(recorded_tool: str = "issue_refund") -> Scenario:
    return recorded_scenario(
        "framework-refund",
        [
            ("hello", []),
            ("please refund order 123", [recorded_call(recorded_tool, "123", REFUNDED, 1)]),
        ],
    )


@pytest.mark.parametrize("agent", ["framework_agent", "pooled_framework_agent"])
def test_a_recorded_tool_that_runs_for_real_under_its_own_span_fails_its_turn(
    agent: str, side_effects: Path, store: SqlSpanStore
) -> None:
    """Also when the framework runs it on a pool that lost the OTel context."""
    run = _replay(agent, _framework_scenario(), store)
    assert [p.name for p in side_effects.iterdir()] == ["refund-123"]  # what the tripwire is for
    assert run.status is RunStatus.UNSEALED_TOOL
    assert run.turns[0].error is None
    assert run.turns[1].error == (
        "turn 2: tool issue_refund ran for real during the replay: "
        "it is neither sealed nor in --live-tools"
    )
    assert run.failed_turns == 1


def test_a_tool_named_live_may_run_for_real(side_effects: Path, store: SqlSpanStore) -> None:
    factory = load_agent(f"{AGENTS}:framework_agent")
    options = ReplayOptions(live_tools=frozenset({"issue_refund"}))
    run = replay_scenario(_framework_scenario(), factory, store, agent_label="x", options=options)
    assert run.status is RunStatus.OK
    assert [t.error for t in run.turns] == [None, None]


@pytest.mark.parametrize("agent", ["framework_sealed_agent", "pooled_framework_sealed_agent"])
def test_a_framework_tool_span_around_the_sealed_tool_is_not_a_tripwire(
    agent: str, side_effects: Path, store: SqlSpanStore
) -> None:
    run = _replay(agent, _refund_scenario(), store)
    assert list(side_effects.iterdir()) == []
    assert run.status is RunStatus.OK
    (turn,) = run.turns
    assert turn.error is None and turn.replayed is not None
    assert json.loads(turn.replayed.assistant or "") == REFUNDED
    assert [(t.name, t.source) for t in turn.replayed.tool_calls] == [("issue_refund", "recorded")]


def test_the_tripwire_watches_only_tools_the_recording_called(
    side_effects: Path, store: SqlSpanStore
) -> None:
    run = _replay("framework_agent", _framework_scenario(recorded_tool="check_status"), store)
    assert run.status is RunStatus.OK
    assert [t.error for t in run.turns] == [None, None]


def test_a_turn_run_whole_on_a_worker_thread_is_captured_under_its_turn(
    support_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refunds: list[str] = []
    monkeypatch.setattr(support_agent, "REFUNDS", refunds)
    store = open_store(support_store_url)
    try:
        scenario = session_scenario(store, "support-session-003")
        run = _replay("threaded_buggy_agent", scenario, store)
    finally:
        store.close()
    assert refunds == []
    assert run.status is RunStatus.OK
    for turn in run.turns:
        assert turn.error is None and turn.replayed is not None
        assert turn.replayed.assistant == turn.original.assistant
        assert turn.replayed.llm_calls == turn.original.llm_calls
        assert [(t.name, t.source) for t in turn.replayed.tool_calls] == [
            (t.name, "recorded") for t in turn.original.tool_calls
        ]
