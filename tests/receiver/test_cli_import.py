"""`otel-replay import` and `sessions --json` on the public fixtures; the CLI's bad-input exits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from otel_replay.cli.main import cli
from otel_replay.otlp.convert import spans_to_request
from tests.builders import make_span
from tests.conftest import PUBLIC_FIXTURES, SEMCONV_FIXTURES
from tests.receiver.clients import otlp_json

EXPECTED = json.loads((SEMCONV_FIXTURES / "expected.json").read_text())
LOGS_FILE = "otel-genai-v1.36-events.logs.json"
SEMCONV_FILES = sorted(
    p.name for p in SEMCONV_FIXTURES.glob("*.json") if p.name not in ("expected.json", LOGS_FILE)
)
PUBLIC_TRACE = PUBLIC_FIXTURES / "otel-proto" / "trace.json"
_SUMMARY_KEYS = (
    "session_id",
    "trace_count",
    "span_count",
    "first_start_unix_nano",
    "last_end_unix_nano",
    "service_name",
)


@dataclass(frozen=True)
class FileFacts:
    """What an OTLP/JSON trace file holds, counted straight from its JSON."""

    spans: int
    trace_ids: frozenset[str]
    first_start: int  # earliest root start (a trace without root counts from its first span)
    last_end: int
    services: frozenset[str]


def _facts(path: Path) -> FileFacts:
    doc = json.loads(path.read_text())
    spans: list[dict[str, Any]] = []
    services = set()
    for resource_spans in doc["resourceSpans"]:
        for attribute in resource_spans.get("resource", {}).get("attributes", []):
            if attribute["key"] == "service.name":
                services.add(attribute["value"]["stringValue"])
        for scope_spans in resource_spans["scopeSpans"]:
            spans.extend(scope_spans["spans"])
    root_starts: dict[str, int] = {}
    earliest_starts: dict[str, int] = {}
    for span in spans:
        trace_id = span["traceId"].lower()
        start = int(span["startTimeUnixNano"])
        earliest_starts[trace_id] = min(start, earliest_starts.get(trace_id, start))
        if not span.get("parentSpanId"):
            root_starts[trace_id] = start
    return FileFacts(
        spans=len(spans),
        trace_ids=frozenset(s["traceId"].lower() for s in spans),
        first_start=min(root_starts.get(t, first) for t, first in earliest_starts.items()),
        last_end=max(int(s["endTimeUnixNano"]) for s in spans),
        services=frozenset(services),
    )


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _sessions(store_url: str) -> list[dict[str, Any]]:
    result = _invoke("sessions", "--json", "--store", store_url)
    assert result.exit_code == 0, result.output
    sessions: list[dict[str, Any]] = json.loads(result.stdout)
    return sessions


def test_public_otlp_trace_example_imports_as_one_session(sqlite_url: str) -> None:
    facts = _facts(PUBLIC_TRACE)
    result = _invoke("import", str(PUBLIC_TRACE), "--store", sqlite_url)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"imported {facts.spans} spans and 0 log records from 1 file(s) "
        "(0 rejected, 0 values redacted)\n"
    )
    # No span carries a session key: the trace is its own session, under its lowercase id.
    (session,) = _sessions(sqlite_url)
    assert {key: session[key] for key in _SUMMARY_KEYS} == {
        "session_id": "5b8efff798038103d269b633813fc60c",
        "trace_count": 1,
        "span_count": facts.spans,
        "first_start_unix_nano": 1544712660000000000,
        "last_end_unix_nano": 1544712661000000000,
        "service_name": "my.service",
    }


@pytest.mark.parametrize("name", SEMCONV_FILES)
def test_semconv_fixture_imports_as_its_expected_session(name: str, sqlite_url: str) -> None:
    path = SEMCONV_FIXTURES / name
    facts = _facts(path)
    expected = EXPECTED[name]
    assert len(facts.trace_ids) == expected["traces"]
    files = [str(path)]
    log_records = 0
    if name == "otel-genai-v1.36-events.traces.json":
        logs = json.loads((SEMCONV_FIXTURES / LOGS_FILE).read_text())
        log_records = sum(
            len(scope_logs["logRecords"])
            for resource_logs in logs["resourceLogs"]
            for scope_logs in resource_logs["scopeLogs"]
        )
        files.append(str(SEMCONV_FIXTURES / LOGS_FILE))

    result = _invoke("import", *files, "--store", sqlite_url)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"imported {facts.spans} spans and {log_records} log records "
        f"from {len(files)} file(s) (0 rejected, 0 values redacted)\n"
    )
    (session,) = _sessions(sqlite_url)
    assert session["session_id"] == expected["session_id"]
    assert (session["trace_count"], session["span_count"]) == (expected["traces"], facts.spans)
    assert (session["first_start_unix_nano"], session["last_end_unix_nano"]) == (
        facts.first_start,
        facts.last_end,
    )
    assert session["service_name"] in facts.services


def test_all_fixtures_in_one_store_list_every_session(sqlite_url: str) -> None:
    files = [str(SEMCONV_FIXTURES / name) for name in [*SEMCONV_FILES, LOGS_FILE]]
    result = _invoke("import", *files, str(PUBLIC_TRACE), "--store", sqlite_url)
    assert result.exit_code == 0, result.output
    listed = {s["session_id"]: (s["trace_count"], s["span_count"]) for s in _sessions(sqlite_url)}
    expected = {
        EXPECTED[name]["session_id"]: (
            EXPECTED[name]["traces"],
            _facts(SEMCONV_FIXTURES / name).spans,
        )
        for name in SEMCONV_FILES
    }
    expected["5b8efff798038103d269b633813fc60c"] = (1, _facts(PUBLIC_TRACE).spans)
    assert listed == expected

    # Importing the same files again changes nothing: spans are identified by their ids.
    assert _invoke("import", *files, str(PUBLIC_TRACE), "--store", sqlite_url).exit_code == 0
    again = {s["session_id"]: (s["trace_count"], s["span_count"]) for s in _sessions(sqlite_url)}
    assert again == expected


def test_json_lines_as_the_collector_file_exporter_writes_them_import(
    tmp_path: Path, sqlite_url: str
) -> None:
    requests = [
        spans_to_request([make_span(1, 1, attributes={"session.id": "s-1"})]),
        spans_to_request([make_span(2, 1, attributes={"session.id": "s-1"}), make_span(2, 2, 1)]),
        spans_to_request([make_span(3, 1)]),
    ]
    lines = tmp_path / "traces.jsonl"
    lines.write_bytes(b"\n".join(otlp_json(r) for r in requests) + b"\n")
    result = _invoke("import", str(lines), "--store", sqlite_url)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 4 spans and 0 log records from 1 file(s) (0 rejected, 0 values redacted)\n"
    )
    listed = {s["session_id"]: (s["trace_count"], s["span_count"]) for s in _sessions(sqlite_url)}
    assert listed == {"s-1": (2, 3), f"{3:032x}": (1, 1)}


def _assert_one_line_error(result: Result, message_start: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {message_start}")
    assert result.stderr.endswith("\n")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "line 1 is not OTLP/JSON: "),
        (b'{"resourceMetrics": []}', "metrics are not imported"),
        (b'{"something": "else"}', "neither resourceSpans nor resourceLogs found"),
        (b"\xff\xfe not protobuf", "trace request: cannot decode protobuf body"),
        (
            b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AQEBAQEBAQEBAQEBAQEBAQ=="}]}]}]}',
            "traceId must be a hex string",
        ),
    ],
    ids=["broken_json", "metrics", "not_otlp", "garbage_bytes", "base64_ids"],
)
def test_import_of_a_bad_file_exits_2_with_one_line_and_stores_nothing(
    tmp_path: Path, sqlite_url: str, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    good = str(PUBLIC_TRACE)
    result = _invoke("import", good, str(bad), "--store", sqlite_url)
    _assert_one_line_error(result, f"{bad}: {message}")
    assert _sessions(sqlite_url) == []  # all or nothing: the good file is not half-imported


def test_import_of_a_missing_file_exits_2(tmp_path: Path, sqlite_url: str) -> None:
    missing = tmp_path / "missing.json"
    _assert_one_line_error(
        _invoke("import", str(missing), "--store", sqlite_url), f"{missing}: no such file"
    )


def test_trace_that_is_not_stored_exits_2(sqlite_url: str) -> None:
    assert _invoke("import", str(PUBLIC_TRACE), "--store", sqlite_url).exit_code == 0
    result = _invoke("trace", "0123456789ABCDEF0123456789abcdef", "--store", sqlite_url)
    _assert_one_line_error(result, "no trace 0123456789abcdef0123456789abcdef in the store")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/x", "unknown store URL scheme 'mysql'"),
        ("sqlite://", "store URL 'sqlite://' names no file"),
        ("sqlite:///no/such/folder/store.db", "cannot open SQLite store"),
    ],
    ids=["unknown_scheme", "no_file", "missing_folder"],
)
def test_bad_store_url_exits_2(url: str, message: str) -> None:
    _assert_one_line_error(_invoke("sessions", "--store", url), message)
