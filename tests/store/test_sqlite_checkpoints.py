"""The SQLite writer leaves checkpoints to a thread of its own (store/dialect.py)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from otel_replay.store import open_store
from tests.builders import batch_of, make_span

_CHECKPOINT_THREAD = "otel-replay-checkpoint"


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == _CHECKPOINT_THREAD]


def _big_batch(trace: int, spans: int) -> object:
    # ~2 KB of attribute text per span, so a write spans many pages.
    text = "x" * 2000
    return batch_of(
        *(make_span(trace, i + 1, attributes={"note": f"{i}{text}"}) for i in range(spans))
    )


def test_committed_pages_reach_the_database_file_without_another_commit(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(f"sqlite:///{path}")
    try:
        store.write([_big_batch(1, 300)], [])  # type: ignore[list-item]
        # The writer's own automatic checkpoint would wait for thousands of pages; the
        # background one copies this write's pages into the file on its own.
        wanted = 300 * 2000
        deadline = time.monotonic() + 10
        while path.stat().st_size < wanted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= wanted
        assert store.counts().spans == 300
    finally:
        store.close()


def test_closing_the_store_ends_its_checkpoint_thread(tmp_path: Path) -> None:
    before = set(_checkpoint_threads())
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    store.write([_big_batch(2, 5)], [])  # type: ignore[list-item]
    assert set(_checkpoint_threads()) - before
    store.close()
    assert not set(_checkpoint_threads()) - before


def test_new_stores_use_large_pages_and_existing_ones_keep_theirs(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.execute("PRAGMA page_size=4096")
        conn.execute("CREATE TABLE unrelated (x)")
    conn.close()
    for path in (tmp_path / "new.db", old):
        open_store(f"sqlite:///{path}").close()
    sizes = {}
    for name in ("new.db", "old.db"):
        conn = sqlite3.connect(tmp_path / name)
        sizes[name] = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
    assert sizes == {"new.db": 16384, "old.db": 4096}
