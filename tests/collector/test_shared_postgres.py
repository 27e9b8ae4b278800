"""Two `serve` processes share one PostgreSQL: a session split across them is whole."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from otel_replay.core.records import Span
from otel_replay.otlp.convert import spans_to_request
from otel_replay.store import open_store
from tests.builders import SECOND, make_span

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
SESSIONS, TRACES, CHILDREN = 12, 3, 6


@contextmanager
def _serve(store_url: str) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_replay", "serve", "--grpc", "127.0.0.1:0", "--http", "none"],
        env={**os.environ, "OTEL_REPLAY_STORE": store_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        found = re.search(r"OTLP/gRPC on (127\.0\.0\.1:\d+)", ready)
        assert found, f"no ready line: {ready!r} {process.stderr.read() if process.stderr else ''}"
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _send(address: str, spans: list[Span]) -> None:
    with grpc.insecure_channel(address) as channel:
        export = channel.unary_unary(EXPORT)
        for span in spans:  # one request per span: the most interleaving
            export(spans_to_request([span]).SerializeToString(), timeout=30)


def test_sessions_split_across_two_receivers_reconstruct_whole(postgres_url: str) -> None:
    open_store(postgres_url).close()  # migrate once, before two processes race to
    to_a: list[Span] = []
    to_b: list[Span] = []
    for s in range(SESSIONS):
        for t in range(TRACES):
            trace = s * 100 + t + 1
            start = t * 60 * SECOND
            children = [
                make_span(trace, c + 2, 1, name="chat", start=start + c, attributes={})
                for c in range(CHILDREN)
            ]
            root = make_span(
                trace, 1, name="agent", start=start, attributes={"session.id": f"s{s}"}
            )
            # Children of one trace go to both receivers at once; the root arrives last.
            to_a.extend(children[::2])
            to_b.extend(children[1::2])
            (to_a if t % 2 else to_b).append(root)
    with _serve(postgres_url) as a, _serve(postgres_url) as b:
        threads = [
            threading.Thread(target=_send, args=(a, to_a)),
            threading.Thread(target=_send, args=(b, to_b)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
    store = open_store(postgres_url)
    try:
        sessions = {s.session_id: s for s in store.list_sessions(limit=100)}
        assert set(sessions) == {f"s{s}" for s in range(SESSIONS)}
        for summary in sessions.values():
            assert (summary.trace_count, summary.span_count) == (TRACES, TRACES * (CHILDREN + 1))
            traces = store.list_traces(session_id=summary.session_id)
            assert [t.start_time_unix_nano for t in traces] == sorted(
                t.start_time_unix_nano for t in traces
            )
            assert len(store.get_spans([t.trace_id for t in traces])) == TRACES * (CHILDREN + 1)
        assert store.integrity_problems() == []
    finally:
        store.close()
