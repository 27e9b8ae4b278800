"""`otel-replay serve` as a real process: kill -9 under load, and a clean SIGTERM."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from otel_replay.store import open_store
from tests.receiver.load import (
    SPANS_PER_REQUEST,
    GrpcLoadClient,
    HttpLoadClient,
    LoadClient,
    trace_id_of,
)
from tests.receiver.serve_process import free_port, running_serve

KILL_CYCLES = 3
SUMMARY = re.compile(
    r"otel-replay stopped: (?P<requests>\d+) requests, (?P<spans>\d+) spans and "
    r"0 log records stored, 0 rejected, (?P<failed>\d+) failed requests, "
    r"(?P<redacted>\d+) values redacted"
)


def _assert_stored_exactly_once(db_path: Path, acked: Iterable[int]) -> int:
    """Every acknowledged trace is stored whole, nothing twice; returns the stored span count."""
    with closing(sqlite3.connect(db_path)) as db:
        rows, distinct = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT trace_id || ':' || span_id) FROM spans"
        ).fetchone()
        per_trace = dict(db.execute("SELECT trace_id, COUNT(*) FROM spans GROUP BY trace_id"))
    assert rows == distinct
    missing = [n for n in acked if trace_id_of(n) not in per_trace]
    assert missing == []
    # One request is one transaction: a trace is stored whole or not at all, even the
    # requests whose answer the crash swallowed.
    assert set(per_trace.values()) == {SPANS_PER_REQUEST}
    store = open_store(f"sqlite:///{db_path}")
    try:
        assert store.integrity_problems() == []
        counts = store.counts()
        assert (counts.spans, counts.traces) == (rows, len(per_trace))
    finally:
        store.close()
    return int(rows)


def test_acknowledged_spans_survive_kill_9_and_restarts_exactly_once(tmp_path: Path) -> None:
    db_path = tmp_path / "store.db"
    port = free_port()
    client = GrpcLoadClient(port, first_trace=1)
    client.start()
    acked_per_cycle = []
    try:
        for cycle in range(KILL_CYCLES):
            with running_serve(
                "--grpc", f"127.0.0.1:{port}", "--http", "none", "--store", f"sqlite:///{db_path}"
            ) as server:
                acked_before = len(client.acked)
                # Mid-load, at a different point each cycle: after 5, 10, 15 more answers.
                client.wait_for_acks(acked_before + 5 * (cycle + 1), timeout=20)
                server.kill_hard()
                assert server.proc.returncode == -9
            acked_per_cycle.append(len(client.acked) - acked_before)
    finally:
        client.finish()

    assert all(acked >= 5 * (n + 1) for n, acked in enumerate(acked_per_cycle)), acked_per_cycle
    assert client.failures > 0  # the kills did land while requests were being sent
    stored = _assert_stored_exactly_once(db_path, client.acked)
    assert stored >= len(client.acked) * SPANS_PER_REQUEST


def test_sigterm_finishes_requests_exits_0_and_prints_a_one_line_summary(tmp_path: Path) -> None:
    db_path = tmp_path / "store.db"
    url = f"sqlite:///{db_path}"
    with running_serve("--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0", "--store", url) as server:
        assert server.ready_line == (
            f"otel-replay receiving: OTLP/gRPC on 127.0.0.1:{server.port('gRPC')}, "
            f"OTLP/HTTP on http://127.0.0.1:{server.port('HTTP')}, store {url}"
        )
        clients: list[LoadClient] = [
            GrpcLoadClient(server.port("gRPC"), first_trace=1),
            HttpLoadClient(server.port("HTTP"), first_trace=1_000_000),
        ]
        try:
            for client in clients:
                client.start()
            for client in clients:
                client.wait_for_acks(5, timeout=20)
            assert server.terminate_and_wait(timeout=30) == 0
        finally:
            for client in clients:
                client.finish()
        lines = server.remaining_stdout()
        stderr = server.stderr_text()

    assert len(lines) == 1, lines
    summary = SUMMARY.fullmatch(lines[0])
    assert summary, lines[0]
    assert stderr == ""
    acked = [n for client in clients for n in client.acked]
    stored = _assert_stored_exactly_once(db_path, acked)
    # The summary counts what was committed: exactly what the store holds.
    assert int(summary["spans"]) == stored
    assert int(summary["requests"]) >= len(acked)
    # Once it has exited, nothing listens any more.
    for client in clients:
        assert not client.send(b"")
        client.close()
