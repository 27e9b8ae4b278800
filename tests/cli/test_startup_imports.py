"""Start-up stays light: `--version` and `--help` import no heavy library.

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


def _heavy_modules_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
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
