"""Benchmark the web UI: the session list over a large store, and a 500-turn session page.

Builds the store of bench/sessions.py (--spans spans in --sessions sessions of OTel GenAI agent
traces, plus one session of --long-turns turns), computes the search facts once (timed), starts
`otel-replay ui` in this process on 127.0.0.1 and times whole HTTP answers (request to last
byte, rendered HTML) with a real client. A session page holds 50 traces (here 50 turns) and
links to the rest:

    python bench/ui.py                       # 1,000,000 spans, 20,000 sessions, 500 turns
    python bench/ui.py --spans 100000 --sessions 2000 --store sqlite:///tmp/ui.db

Each figure is the median of --repeat requests after one warm-up request.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sessions import MS, SPANS_PER_TURN, T0, _write_session

from otel_replay.app.browse import FACTS_BATCH, FactsGate, index_trace_facts
from otel_replay.receiver.serve import Endpoint
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.ui.app import UiSettings
from otel_replay.ui.server import UiListen, UiServer


def _time_get(port: int, path: str, repeat: int) -> tuple[float, int]:
    """Median milliseconds of GET path (after a warm-up), and the answer's size."""
    timings = []
    size = 0
    for attempt in range(repeat + 1):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status}")
        size = len(body)
        if attempt:
            timings.append(elapsed * 1000)
    return statistics.median(timings), size


def _print_idle_check(store: SqlSpanStore, repeat: int) -> None:
    """What the background indexer costs per check while nothing is written: the stale-trace
    scan it ran every time before, and the change gate that now runs instead."""
    scan = []
    for _ in range(repeat):
        started = time.perf_counter()
        index_trace_facts(store, FACTS_BATCH)
        scan.append((time.perf_counter() - started) * 1000)
    gate = FactsGate(store)
    gate.step()  # the first check scans (nothing is known of the store yet)
    gated = []
    for _ in range(repeat):
        started = time.perf_counter()
        gate.step()
        gated.append((time.perf_counter() - started) * 1000)
    # On PostgreSQL another database's write moves the marker too: a spare scan, counted.
    print(
        f"idle indexer check: {statistics.median(gated):.3f} ms gated "
        f"({gate.scans - 1} of {repeat} scanned), "
        f"{statistics.median(scan):.1f} ms ungated (full stale scan)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--long-turns", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", default=None, help="store URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.store or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench-ui.db'}"
    store = open_store(url)
    if store.counts().spans == 0:
        turns_per_session = max(1, args.spans // args.sessions // SPANS_PER_TURN)
        started = time.perf_counter()
        trace_no = 1
        for n in range(args.sessions):
            _write_session(store, f"session-{n:06d}", trace_no, turns_per_session, T0 + n * MS)
            trace_no += turns_per_session
        _write_session(store, "long-session", trace_no, args.long_turns, T0)
        print(f"built the store in {time.perf_counter() - started:.1f} s: {url}")
    counts = store.counts()
    print(f"store: {counts.spans:,} spans, {counts.traces:,} traces, {counts.sessions:,} sessions")

    started = time.perf_counter()
    indexed = 0
    for _ in range(10_000):
        batch = index_trace_facts(store, FACTS_BATCH)
        indexed += batch
        if not batch:
            break
    elapsed = time.perf_counter() - started
    rate = f", {counts.spans / elapsed:,.0f} spans/s" if indexed == counts.traces else ""
    print(f"search facts: {indexed:,} traces in {elapsed:.1f} s (once{rate})")
    _print_idle_check(store, args.repeat)

    server = UiServer(UiSettings(store), UiListen(Endpoint("127.0.0.1", 0)))
    port = server.endpoint.port
    try:
        pages = [
            ("session list, page 1", "/sessions"),
            ("session list, page 100", "/sessions?page=100"),
            ("live rows (page 1)", "/sessions/rows"),
            ("search 'answer 3'", "/sessions?" + urlencode({"q": "answer 3"})),
            ("search a session id", "/sessions?" + urlencode({"q": "session-012345"})),
            ("filter tools + service", "/sessions?tools=1&service=support-agent"),
            (f"{args.long_turns}-turn session, page 1", "/session?id=long-session"),
            (f"{args.long_turns}-turn session, last page", "/session?id=long-session&page=999"),
            ("a trace's span tree", "/trace/tree?id=" + store.list_traces(1)[0].trace_id),
        ]
        for label, path in pages:
            millis, size = _time_get(port, path, args.repeat)
            print(f"{label:28} {millis:8.1f} ms  ({size / 1024:,.0f} KiB)")
    finally:
        server.stop()
        store.close()


if __name__ == "__main__":
    main()
