"""Agents that call a side-effecting refund tool the ways real agents do: from worker threads,
thread pools, executors, async turns, and an instrumented framework's own tool span.

The tools write a file per refund into `SIDE_EFFECTS` (a test's tmp_path), so a test sees
whether a body ran. A test that runs two replays at once sets `BARRIER`.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import trace

from otel_replay.demo import support_agent
from otel_replay.replay.tools import tool
from otel_replay.scenario.model import (
    AgentSpec,
    RecordedTool,
    Scenario,
    ScenarioSource,
    ScenarioTurn,
    SourceKind,
    TurnMetrics,
)

Message = dict[str, Any]
SIDE_EFFECTS = Path("/nonexistent/otel-replay-side-effects")
BARRIER: threading.Barrier | None = None
BACKGROUND_LOOP: asyncio.AbstractEventLoop | None = None
BARRIER_TIMEOUT_S = 30.0  # a bound on a broken test, never a stand-in for an event

# Created at import, before any replay, as an application's process-wide singleton would be.
SHARED_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="app-singleton")
SHARED_POOL.submit(lambda: None).result()


def _side_effect(kind: str, order_id: str) -> None:
    (SIDE_EFFECTS / f"{kind}-{order_id}").write_text(order_id)


@tool
def issue_refund(order_id: str) -> dict[str, str]:
    _side_effect("refund", order_id)
    return {"order_id": order_id, "refund": "issued"}


@tool
def check_status(order_id: str) -> dict[str, str]:
    _side_effect("status", order_id)
    return {"order_id": order_id, "status": "in transit"}


@contextmanager
def _framework_tool_span(name: str) -> Iterator[None]:
    """The tool span an instrumented framework makes around the tools it runs."""
    tracer = trace.get_tracer("some.agent.framework")
    attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
    with tracer.start_as_current_span(f"execute_tool {name}", attributes=attributes):
        yield


def framework_refund(order_id: str) -> dict[str, str]:
    """An undecorated tool run by an instrumented framework: it runs for real."""
    with _framework_tool_span("issue_refund"):
        _side_effect("refund", order_id)
        return {"order_id": order_id, "refund": "issued"}


def framework_sealed_refund(order_id: str) -> dict[str, str]:
    """The framework runs the decorated tool: its span wraps our sealed one."""
    with _framework_tool_span("issue_refund"):
        return issue_refund(order_id)


def _order_id(messages: list[Message]) -> str:
    found = re.search(r"\d+", str(messages[-1]["content"]))
    assert found is not None
    return found.group(0)


def _answer(result: Any) -> str:
    return json.dumps(result, sort_keys=True)


def via_thread_pool(messages: list[Message]) -> str:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return _answer(pool.submit(issue_refund, _order_id(messages)).result())


def via_shared_pool(messages: list[Message]) -> str:
    return _answer(SHARED_POOL.submit(issue_refund, _order_id(messages)).result())


async def via_run_in_executor(messages: list[Message]) -> str:
    loop = asyncio.get_running_loop()
    return _answer(await loop.run_in_executor(None, issue_refund, _order_id(messages)))


async def via_to_thread(messages: list[Message]) -> str:
    return _answer(await asyncio.to_thread(issue_refund, _order_id(messages)))


async def _refund_soon(order_id: str) -> dict[str, str]:
    return issue_refund(order_id)


def via_background_loop(messages: list[Message]) -> str:
    """An event loop the application runs on its own thread, started before the replay."""
    assert BACKGROUND_LOOP is not None
    future = asyncio.run_coroutine_threadsafe(_refund_soon(_order_id(messages)), BACKGROUND_LOOP)
    return _answer(future.result(BARRIER_TIMEOUT_S))


def _in_thread(target: Callable[[], Any], copy_context: bool = False) -> Any:
    """Run `target` in a plain thread; its result, or the exception it raised."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(target())
        except Exception as exc:
            outcome.append(exc)

    if copy_context:
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(run,))
    else:
        thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


def via_plain_thread(messages: list[Message]) -> str:
    order_id = _order_id(messages)
    return _answer(_in_thread(lambda: issue_refund(order_id)))


def via_copied_context(messages: list[Message]) -> str:
    order_id = _order_id(messages)
    return _answer(_in_thread(lambda: issue_refund(order_id), copy_context=True))


async def async_support(messages: list[Message]) -> str:
    """Checks status on questions, refunds on requests; async, as many agent SDKs are."""
    await asyncio.sleep(0)  # yield to the loop, as a real model call would
    text = str(messages[-1]["content"])
    order_id = _order_id(messages)
    result = issue_refund(order_id) if "refund" in text else check_status(order_id)
    return _answer(result)


def framework_agent(messages: list[Message]) -> str:
    if "refund" not in str(messages[-1]["content"]):
        return "Which order?"
    return _answer(framework_refund(_order_id(messages)))


def framework_sealed_agent(messages: list[Message]) -> str:
    return _answer(framework_sealed_refund(_order_id(messages)))


def pooled_framework_agent(messages: list[Message]) -> str:
    """The framework runs its tool on a thread pool that does not carry the OTel context."""
    if "refund" not in str(messages[-1]["content"]):
        return "Which order?"
    with ThreadPoolExecutor(max_workers=1) as pool:
        return _answer(pool.submit(framework_refund, _order_id(messages)).result())


def pooled_framework_sealed_agent(messages: list[Message]) -> str:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return _answer(pool.submit(framework_sealed_refund, _order_id(messages)).result())


def threaded_buggy_agent(messages: list[Message]) -> str:
    """The demo support agent, each turn run whole on a worker thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(support_agent.buggy_agent, messages).result()


def _at_barrier() -> None:
    assert BARRIER is not None
    BARRIER.wait(BARRIER_TIMEOUT_S)


def concurrent_plain_thread(messages: list[Message]) -> str:
    """Calls the tool from a plain thread while another replay is in its turn too."""
    order_id = _order_id(messages)
    _at_barrier()  # both replays are inside a turn
    outcome = _in_thread(lambda: issue_refund(order_id))
    _at_barrier()  # neither replay ends before both calls were made
    return str(outcome) if isinstance(outcome, Exception) else _answer(outcome)


def concurrent_copied_context(messages: list[Message]) -> str:
    order_id = _order_id(messages)
    _at_barrier()
    outcome = _in_thread(lambda: issue_refund(order_id), copy_context=True)
    _at_barrier()
    return _answer(outcome)


def recorded_scenario(name: str, turns: Sequence[tuple[str, Sequence[RecordedTool]]]) -> Scenario:
    """A scenario of user messages and the tool calls recorded in each turn."""
    trace_id = hashlib.sha256(name.encode()).hexdigest()[:32]
    scenario_turns = [
        ScenarioTurn(
            index=index,
            trace_id=trace_id,
            span_id=f"{index + 1:016x}",
            user=user,
            assistant="done",
            tool_calls=list(calls),
            metrics=TurnMetrics(latency_ms=1.0, llm_calls=1, tool_calls=len(calls), errors=0),
        )
        for index, (user, calls) in enumerate(turns)
    ]
    return Scenario(
        name=name,
        source=ScenarioSource(kind=SourceKind.SESSION, session_id=name, trace_ids=[trace_id]),
        agent=AgentSpec(),
        turns=scenario_turns,
        graph={},
    )


def recorded_call(name: str, order_id: str, result: Any, span: int) -> RecordedTool:
    return RecordedTool(
        name=name,
        call_id=f"call_{span}",
        arguments={"order_id": order_id},
        result=result,
        trace_id="a" * 32,
        span_id=f"{span:016x}",
        linked_by="parent",
    )
