"""Start-up stays light: `--version` and `--help` import no heavy library, and listing sessions
imports neither protobuf nor the row builder.

Times are measured by bench/startup.py; these tests only pin which modules get imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "networkx",
    "pydantic",
    "rich",
    "grpc",
    "psycopg",
    "jsonschema",
    "google.protobuf",
    "opentelemetry.sdk",
    "otel_replay.replay",
    "otel_replay.store.sql",
)
NOT_FOR_LISTING = (
    "google.protobuf",
    "otel_replay.otlp.convert",
    "otel_replay.semconv.identity",
    "otel_replay.store.rows",
    "otel_replay.store.writing",
    "hashlib",
)


def _heavy_modules_after(code: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_version_imports_no_heavy_module() -> None:
    code = (
        "import sys\nfrom otel_replay.cli.main import main\n"
        "sys.argv = ['otel-replay', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert _heavy_modules_after(code) == []


def test_help_lists_commands_without_importing_them() -> None:
    code = (
        "import sys\nfrom otel_replay.cli.main import main\n"
        "sys.argv = ['otel-replay', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert not [m for m in sys.modules if m.endswith('_commands')]"
    )
    assert _heavy_modules_after(code) == []


def test_tool_is_still_importable_from_the_package() -> None:
    code = "from otel_replay import tool\nassert callable(tool)"
    assert "otel_replay.replay" in _heavy_modules_after(code)


def test_listing_sessions_and_traces_imports_no_protobuf(tmp_path: Path) -> None:
    code = (
        "from otel_replay.store import open_store\n"
        f"store = open_store({str(tmp_path / 'store.db')!r})\n"
        "store.list_sessions(); store.list_traces(); store.get_trace('0' * 32); store.counts()\n"
        "store.close()"
    )
    assert _heavy_modules_after(code, NOT_FOR_LISTING) == []
