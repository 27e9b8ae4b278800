"""Benchmark: Vapi end-of-call reports -> call records -> spans -> store -> conversation.

Builds one report with --turns exchanges (each with a tool call, every third with a
barge-in), then times, per call: parsing the payload, building its spans, encoding them as
an OTLP request and storing it through the import path (SQLite, a fresh store), and
rebuilding the session as a conversation from the stored spans. Prints the median of
--repeat runs of each step and the spans per call.

    python bench/calls.py                    # 40 turns, 20 repeats
    python bench/calls.py --turns 200 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from otel_replay.calls.payloads import parse_call_document
from otel_replay.calls.spans import call_spans, call_trace_request
from otel_replay.importer import import_data
from otel_replay.session.turns import build_conversation
from otel_replay.store import open_store

_START = 1793613600000


def build_report(turns: int, call_id: str) -> dict[str, Any]:
    """An end-of-call report with `turns` exchanges, a tool call in each."""
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "message": "You are a bench agent.",
            "time": _START,
            "secondsFromStart": 0,
        }
    ]
    t = 500
    for i in range(turns):
        user_start = t - 400 if i % 3 == 2 else t + 300  # every third turn barges in
        messages.append(
            {
                "role": "user",
                "message": f"Question number {i} please",
                "time": _START + user_start,
                "endTime": _START + user_start + 1500,
                "secondsFromStart": user_start / 1000,
                "duration": 1400,
            }
        )
        t = user_start + 2100
        messages.append(
            {
                "role": "tool_calls",
                "time": _START + t,
                "secondsFromStart": t / 1000,
                "toolCalls": [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": json.dumps({"n": i})},
                    }
                ],
            }
        )
        messages.append(
            {
                "role": "tool_call_result",
                "toolCallId": f"call_{i}",
                "name": "lookup",
                "time": _START + t + 300,
                "secondsFromStart": (t + 300) / 1000,
                "result": json.dumps({"n": i}),
            }
        )
        t += 500
        messages.append(
            {
                "role": "bot",
                "message": f"Here is answer {i} with a few more words",
                "time": _START + t,
                "endTime": _START + t + 2000,
                "secondsFromStart": t / 1000,
                "duration": 1900,
            }
        )
        t += 2000
    return {
        "message": {
            "type": "end-of-call-report",
            "call": {"id": call_id, "type": "webCall"},
            "endedReason": "customer-ended-call",
            "startedAt": "2026-11-02T10:00:00Z",
            "artifact": {"messages": messages},
        }
    }


def _median_ms(step: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    report = build_report(args.turns, "bench-call")
    body = json.dumps(report).encode()
    record = parse_call_document(report)
    spans = call_spans(record)
    print(f"call with {args.turns} turns: {len(body) / 1024:.0f} KiB, {len(spans)} spans")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("parse payload", lambda: parse_call_document(json.loads(body))),
        ("build spans", lambda: call_spans(record)),
        ("spans + OTLP encode", lambda: call_trace_request(record).SerializeToString()),
    ]
    for label, step in steps:
        print(f"{label + ':':26}{_median_ms(step, args.repeat):8.2f} ms")
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            counter = iter(range(10**9))

            def store_one() -> None:
                fresh = json.dumps(build_report(args.turns, f"bench-{next(counter)}")).encode()
                import_data(store, [("call.json", fresh)])

            print(f"{'import (parse to commit):':26}{_median_ms(store_one, args.repeat):8.2f} ms")
            trace_id = spans[0].trace_id
            import_data(store, [("call.json", body)])
            stored = store.get_spans([trace_id])
            rebuilt = _median_ms(lambda: build_conversation("bench-call", stored, []), args.repeat)
            turns = len(build_conversation("bench-call", stored, []).turns)
            print(f"{f'conversation ({turns} turns):':26}{rebuilt:8.2f} ms")
        finally:
            store.close()


if __name__ == "__main__":
    main()
