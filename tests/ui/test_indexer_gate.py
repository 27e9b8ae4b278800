"""The facts indexer's gate (app.browse.FactsGate): the stale-trace scan runs only after the
store has changed. After a scan with no new writes, the next check runs no scan; a write from
another connection (the receiver's), or through the same store, is picked up by the next check;
the UI server's background indexer picks a new session up on its own."""

from __future__ import annotations

import time

from otel_replay.app.browse import FactsGate
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.ui.server import FactsIndexer
from tests.ui.test_text_index import _write_session

_WAIT_SECONDS = 20.0  # a bound on waiting for the background thread, not a timing assertion


def test_no_write_no_scan_then_a_write_from_another_connection_is_scanned(
    sqlite_url: str,
) -> None:
    # SQLite only: PostgreSQL's marker is the cluster's snapshot, which other databases' writes
    # (other tests running at the same time) move too: there a spare scan is allowed.
    indexer_store = open_store(sqlite_url)
    writer = open_store(sqlite_url)
    try:
        _write_session(writer, "first", 1, ("hello there", "and again"))
        gate = FactsGate(indexer_store)
        assert gate.step() == 2
        assert gate.scans == 1
        for _ in range(3):
            assert gate.step() == 0
        assert gate.scans == 1  # nothing changed: no stale scan was issued
        assert indexer_store.stale_fact_traces(100) == []

        _write_session(writer, "second", 10, ("a later question",))
        assert gate.step() == 1
        assert gate.scans == 2
        assert indexer_store.stale_fact_traces(100) == []
        assert gate.step() == 0
        assert gate.scans == 2
    finally:
        writer.close()
        indexer_store.close()


def test_a_write_through_the_gates_own_store_is_scanned(store: SqlSpanStore) -> None:
    gate = FactsGate(store)
    assert gate.step() == 0
    scans = gate.scans
    _write_session(store, "own", 1, ("written on the same connection",))
    assert gate.step() == 1
    assert gate.scans == scans + 1
    assert store.stale_fact_traces(100) == []


def test_a_full_batch_scans_again_without_a_new_write(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    try:
        _write_session(store, "three", 1, ("one", "two", "three"))
        gate = FactsGate(store, max_traces=2)
        assert gate.step() == 2
        assert gate.step() == 1  # the rest, though nothing was written in between
        scans = gate.scans
        assert gate.step() == 0
        assert gate.scans == scans
    finally:
        store.close()


def test_the_background_indexer_picks_a_new_session_up(store_url: str) -> None:
    indexer = FactsIndexer(store_url, pause_seconds=0.05, max_pause_seconds=0.2)
    writer = open_store(store_url)
    try:
        _write_session(writer, "arrives later", 1, ("is my order late",))
        deadline = time.monotonic() + _WAIT_SECONDS
        while writer.stale_fact_traces(100) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert writer.stale_fact_traces(100) == []
        assert indexer.gate.scans >= 1
    finally:
        writer.close()
        indexer.stop()
