"""Benchmark: replay many one-turn trace scenarios against a trivial agent.

Builds --scenarios one-turn scenarios (each with a recorded tool call that the agent calls
and is served from the recording), replays them with --concurrency workers into a fresh
SQLite store, and prints scenarios/s and the runner's overhead per turn (wall time per
scenario minus the agent's own time, measured once sequentially and once concurrently).

`replay_many` commits runs in groups on a writer thread while the next replays run; the last
line measures `replay_scenario` called one scenario at a time (as `otel-replay replay` runs a
folder without --concurrency), where every run waits for its own commit (fsync) before the
next one starts.

    python bench/replay.py                         # 1,000 scenarios, concurrency 16
    python bench/replay.py --scenarios 200 --concurrency 4
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from otel_replay.replay.agents import ChatMessage, normalise_reply
from otel_replay.replay.runner import replay_many, replay_scenario
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
from otel_replay.store import open_store

_agent_seconds: list[float] = []
_agent_lock = threading.Lock()


@tool
def lookup(order_id: str) -> dict[str, str]:
    raise AssertionError("sealed in a replay: never runs")


class _TrivialAgent:
    """Calls the recorded tool once and answers with its result: no model, no I/O."""

    def __call__(self, messages: list[ChatMessage]) -> ChatMessage:
        started = time.perf_counter()
        order = str(messages[-1]["content"]).rsplit(" ", 1)[-1]
        reply = normalise_reply(f"order {order}: {lookup(order_id=order)['status']}")
        with _agent_lock:
            _agent_seconds.append(time.perf_counter() - started)
        return reply

    def close(self) -> None:
        pass


def _scenario(n: int) -> Scenario:
    trace_id = f"{n + 1:032x}"
    span_id = f"{n + 1:016x}"
    return Scenario(
        name=f"bench:{trace_id}",
        source=ScenarioSource(
            kind=SourceKind.TRACE, session_id=f"bench-{n}", trace_ids=[trace_id], span_ids=[span_id]
        ),
        agent=AgentSpec(model="trivial"),
        turns=[
            ScenarioTurn(
                index=0,
                trace_id=trace_id,
                span_id=span_id,
                user=f"where is order {n}",
                assistant=f"order {n}: shipped",
                tool_calls=[
                    RecordedTool(
                        name="lookup",
                        call_id=f"call-{n}",
                        arguments={"order_id": str(n)},
                        result={"status": "shipped"},
                        trace_id=trace_id,
                        span_id=f"{n + 1:08x}{1:08x}",
                        linked_by="call_id",
                    )
                ],
                metrics=TurnMetrics(latency_ms=1.0, llm_calls=0, tool_calls=1, errors=0),
            )
        ],
        graph={},
    )


def _run(scenarios: list[Scenario], concurrency: int, store_url: str) -> tuple[float, Any]:
    store = open_store(store_url)
    _agent_seconds.clear()
    try:
        started = time.perf_counter()
        runs = replay_many(
            scenarios, _TrivialAgent, store, agent_label="bench", concurrency=concurrency
        )
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    served = sum(1 for r in runs for t in r.turns if t.replayed and t.replayed.tool_calls)
    assert served == len(scenarios), f"only {served} of {len(scenarios)} turns served their tool"
    return elapsed, list(_agent_seconds)


def _run_one_at_a_time(scenarios: list[Scenario], store_url: str) -> tuple[float, list[float]]:
    store = open_store(store_url)
    _agent_seconds.clear()
    try:
        started = time.perf_counter()
        for scenario in scenarios:
            replay_scenario(scenario, _TrivialAgent, store, agent_label="bench")
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    return elapsed, list(_agent_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="otel-replay-bench-"))
    scenarios = [_scenario(n) for n in range(args.scenarios)]

    sequential = scenarios[: max(1, args.scenarios // 5)]
    seq_elapsed, seq_agent = _run(sequential, 1, f"sqlite:///{folder / 'sequential.db'}")
    per_turn_ms = (seq_elapsed - sum(seq_agent)) / len(sequential) * 1000

    one_elapsed, one_agent = _run_one_at_a_time(sequential, f"sqlite:///{folder / 'one.db'}")
    one_ms = (one_elapsed - sum(one_agent)) / len(sequential) * 1000

    elapsed, agent = _run(scenarios, args.concurrency, f"sqlite:///{folder / 'concurrent.db'}")
    print(f"{len(scenarios):,} one-turn scenarios, concurrency {args.concurrency}, SQLite store")
    print(f"replayed in {elapsed:.2f} s: {len(scenarios) / elapsed:,.0f} scenarios/s")
    print(
        f"runner overhead per turn (sequential, {len(sequential)} scenarios): {per_turn_ms:.2f} ms "
        f"(agent itself: median {statistics.median(seq_agent) * 1000:.3f} ms)"
    )
    print(
        f"wall time per scenario at concurrency {args.concurrency}: "
        f"{elapsed / len(scenarios) * 1000:.2f} ms "
        f"(agent median {statistics.median(agent) * 1000:.3f} ms)"
    )
    print(
        f"runner overhead per turn (replay_scenario one at a time, {len(sequential)} scenarios, "
        f"a commit each): {one_ms:.2f} ms"
    )


if __name__ == "__main__":
    main()
