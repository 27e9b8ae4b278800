"""Benchmark: what watching a replay for divergence costs per turn.

`--after-divergence stop|simulate` reads each turn back from the spans captured so far, as the
run will store them, and asks the transcript diff's rule whether it diverged. This replays a
--turns long conversation whose agent reproduces the recording exactly (so nothing diverges
and the whole conversation runs) once unwatched and once watched (`stop`), --repeats times
each, and prints the median wall time per turn of both and their difference: the watch's
cost per turn. Each read decodes only the spans of the turn just run, so the cost per turn
does not grow with the conversation.

    python bench/simulate.py                   # 20 turns, 5 repeats
    python bench/simulate.py --turns 50 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from otel_replay.core.runs import AfterDivergence
from otel_replay.replay.agents import ChatMessage, normalise_reply
from otel_replay.replay.runner import replay_scenario
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
from otel_replay.simulate.user import DivergenceSteering
from otel_replay.store import open_store


@tool
def lookup(order_id: str) -> dict[str, str]:
    raise AssertionError("sealed in a replay: never runs")


class _FaithfulAgent:
    """Calls the recorded tool and answers what the recording answered: nothing diverges."""

    def __call__(self, messages: list[ChatMessage]) -> ChatMessage:
        order = str(messages[-1]["content"]).rsplit(" ", 1)[-1]
        return normalise_reply(f"order {order}: {lookup(order_id=order)['status']}")

    def close(self) -> None:
        pass


def _scenario(turns: int) -> Scenario:
    trace_id = f"{1:032x}"
    return Scenario(
        name="bench:watch",
        source=ScenarioSource(kind=SourceKind.SESSION, session_id="bench", trace_ids=[trace_id]),
        agent=AgentSpec(model="trivial"),
        turns=[
            ScenarioTurn(
                index=n,
                trace_id=trace_id,
                span_id=f"{n + 1:016x}",
                user=f"where is order {n}",
                assistant=f"order {n}: shipped",
                tool_calls=[
                    RecordedTool(
                        name="lookup",
                        arguments={"order_id": str(n)},
                        result={"status": "shipped"},
                        trace_id=trace_id,
                        linked_by="call_id",
                    )
                ],
                metrics=TurnMetrics(latency_ms=1.0, llm_calls=0, tool_calls=1, errors=0),
            )
            for n in range(turns)
        ],
        graph={},
    )


def _per_turn_ms(scenario: Scenario, store_url: str, watched: bool) -> float:
    store = open_store(store_url)
    try:
        steering = DivergenceSteering(scenario, AfterDivergence.STOP) if watched else None
        started = time.perf_counter()
        run = replay_scenario(scenario, _FaithfulAgent, store, agent_label="bench", steer=steering)
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    assert all(t.replayed is not None for t in run.turns), "every turn must run"
    if steering is not None:
        assert steering.divergent_turn is None, steering.reason
    return elapsed * 1000 / len(scenario.turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    scenario = _scenario(args.turns)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        _per_turn_ms(scenario, url, watched=False)  # warm up imports and the capture
        plain, watched = [], []
        for _ in range(args.repeats):
            plain.append(_per_turn_ms(scenario, url, watched=False))
            watched.append(_per_turn_ms(scenario, url, watched=True))
    base, watch = statistics.median(plain), statistics.median(watched)
    print(f"{args.turns} turns, {args.repeats} repeats (median per turn)")
    print(f"unwatched (continue): {base:.2f} ms/turn")
    print(f"watched (stop, no divergence): {watch:.2f} ms/turn")
    print(f"watch overhead: {watch - base:.2f} ms/turn")


if __name__ == "__main__":
    main()
