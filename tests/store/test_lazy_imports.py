"""Listing sessions stays light: opening a store and reading summaries imports neither protobuf
nor the row builder (`otel-replay sessions` start-up; times are in bench/startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_FOR_LISTING = (
    "google.protobuf",
    "otel_replay.otlp.convert",
    "otel_replay.semconv.identity",
    "otel_replay.store.rows",
    "otel_replay.store.writing",
    "hashlib",
)


def test_listing_sessions_and_traces_imports_no_protobuf(tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from otel_replay.store import open_store\n"
        f"store = open_store({str(tmp_path / 'store.db')!r})\n"
        "store.list_sessions(); store.list_traces(); store.get_trace('0' * 32); store.counts()\n"
        "store.close()\n"
        f"print(json.dumps(sorted(m for m in {NOT_FOR_LISTING!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
