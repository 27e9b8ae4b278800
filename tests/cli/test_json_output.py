"""`--json` output is always valid JSON: NaN and infinities are printed as strings."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.cli.options import print_json
from otel_replay.otlp.convert import spans_to_request
from tests.builders import make_span


def _strict_loads(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_floats_are_printed_as_strings(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"nan": math.nan, "values": [math.inf, -math.inf, 1.5, 0.0], "nested": {"x": -0.0}})
    assert _strict_loads(capsys.readouterr().out) == {
        "nan": "NaN",
        "values": ["Infinity", "-Infinity", 1.5, 0.0],
        "nested": {"x": -0.0},
    }


def test_trace_json_of_a_span_with_nan_and_infinite_attributes(
    tmp_path: Path, sqlite_url: str
) -> None:
    span = make_span(7, 1, attributes={"score": math.nan, "limit": math.inf, "ok": 0.25})
    request_file = tmp_path / "trace.pb"
    request_file.write_bytes(spans_to_request([span]).SerializeToString())
    runner = CliRunner()
    imported = runner.invoke(cli, ["import", str(request_file), "--store", sqlite_url])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(cli, ["trace", span.trace_id, "--store", sqlite_url, "--json"])
    assert result.exit_code == 0, result.output
    text = json.dumps(_strict_loads(result.stdout))
    assert '"score": "NaN"' in text
    assert '"limit": "Infinity"' in text
    assert '"ok": 0.25' in text
