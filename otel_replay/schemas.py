"""The JSON Schemas of the files otel-replay writes, generated from their models.

`python -m otel_replay.schemas DIR` writes them; tests check that `schemas/` is up to date.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from otel_replay.report.model import report_json_schema
from otel_replay.scenario.model import scenario_json_schema

SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "scenario.schema.json": scenario_json_schema,
    "report.schema.json": report_json_schema,
}


def schema_text(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMAS:
        path = folder / name
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(path)
