"""Secrets never reach the store: redaction runs in the one ingest path and in the importer,
before rows are built, on by default; `--redact` changes the rules; summaries count it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_replay.cli.main import cli
from otel_replay.core.records import Span
from otel_replay.otlp.convert import spans_to_request
from otel_replay.otlp.redact import Redactor
from otel_replay.receiver.serve import Receiver
from otel_replay.store import SqlSpanStore, open_store
from tests.builders import make_span
from tests.receiver.clients import otlp_json, post_http
from tests.receiver.conftest import grpc_port, http_port, loopback_config
from tests.receiver.serve_process import free_port, running_serve

OPENAI_KEY = "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789"
BEARER = "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.c2VjcmV0"
MESSAGES = json.dumps(
    [{"role": "user", "parts": [{"type": "text", "content": f"use my key {OPENAI_KEY} please"}]}]
)
ATTRIBUTES = {"Authorization": BEARER, "gen_ai.input.messages": MESSAGES}


def _export_one_span(exporter: Any) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("tests").start_as_current_span("chat gpt-4o") as span:
        span.set_attributes(ATTRIBUTES)
    provider.shutdown()


def _grpc(receiver: Receiver) -> Any:
    return GrpcSpanExporter(endpoint=f"127.0.0.1:{grpc_port(receiver)}", insecure=True)


def _http(receiver: Receiver) -> Any:
    return HttpSpanExporter(endpoint=f"http://127.0.0.1:{http_port(receiver)}/v1/traces")


def _only_span(store: SqlSpanStore) -> Span:
    (trace,) = store.list_traces()
    (span,) = store.get_spans([trace.trace_id])
    return span


@pytest.mark.parametrize("make_exporter", [_grpc, _http], ids=["grpc", "http"])
def test_an_official_exporter_s_secrets_are_stored_as_markers(
    receiver: Receiver, store: SqlSpanStore, make_exporter: Callable[[Receiver], Any]
) -> None:
    _export_one_span(make_exporter(receiver))
    span = _only_span(store)
    assert span.attributes["Authorization"] == "[REDACTED:authorization]"
    messages = span.attributes["gen_ai.input.messages"]
    assert isinstance(messages, str)
    assert OPENAI_KEY not in messages
    assert json.loads(messages)[0]["parts"][0]["content"] == (
        "use my key [REDACTED:openai-key] please"
    )
    assert dict(receiver.ingestor.redactor.counts) == {"authorization": 1, "openai-key": 1}


def test_redaction_off_stores_what_was_sent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    receiver = Receiver(loopback_config(url, redactor=Redactor(default_rules=False)))
    try:
        _export_one_span(_grpc(receiver))
    finally:
        receiver.stop()
    store = open_store(url)
    try:
        assert _only_span(store).attributes == ATTRIBUTES
    finally:
        store.close()


def test_serve_redacts_by_default_and_counts_it_in_the_summary(tmp_path: Path) -> None:
    body = spans_to_request([make_span(1, 1, attributes=dict(ATTRIBUTES))]).SerializeToString()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    with running_serve(
        "--grpc", "none", "--http", f"127.0.0.1:{port}", "--store", url,
        "--redact", "key:^note$",
    ) as server:  # fmt: skip
        assert post_http(port, body).status == 200
        assert server.terminate_and_wait(timeout=30) == 0
        (summary,) = server.remaining_stdout()
    assert summary.endswith(", 2 values redacted (authorization 1, openai-key 1)"), summary


def _import(*args: str) -> Any:
    return CliRunner().invoke(cli, ["import", *args], catch_exceptions=False)


def _request_file(tmp_path: Path, attributes: dict[str, Any]) -> Path:
    path = tmp_path / "traces.json"
    path.write_bytes(otlp_json(spans_to_request([make_span(1, 1, attributes=attributes)])))
    return path


def test_import_redacts_by_default(tmp_path: Path, sqlite_url: str) -> None:
    path = _request_file(tmp_path, {**ATTRIBUTES, "note": "kept"})
    result = _import(str(path), "--store", sqlite_url)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "(0 rejected, 2 values redacted (authorization 1, openai-key 1))\n"
    )
    store = open_store(sqlite_url)
    try:
        span = _only_span(store)
    finally:
        store.close()
    assert span.attributes["Authorization"] == "[REDACTED:authorization]"
    assert OPENAI_KEY not in str(span.attributes["gen_ai.input.messages"])
    assert span.attributes["note"] == "kept"


@pytest.mark.parametrize(
    ("rules", "note"),
    [
        (["off"], "T-123 kept"),
        (["off", "key:^note$"], "[REDACTED:custom-key]"),
        (["off", "value:ticket=T-[0-9]+"], "[REDACTED:ticket] kept"),
    ],
    ids=["off", "custom_key", "custom_value"],
)
def test_import_redact_rules(tmp_path: Path, sqlite_url: str, rules: list[str], note: str) -> None:
    path = _request_file(tmp_path, {**ATTRIBUTES, "note": "T-123 kept"})
    args = [arg for rule in rules for arg in ("--redact", rule)]
    result = _import(str(path), "--store", sqlite_url, *args)
    assert result.exit_code == 0, result.output
    store = open_store(sqlite_url)
    try:
        assert _only_span(store).attributes == {**ATTRIBUTES, "note": note}
    finally:
        store.close()


def test_a_bad_redact_rule_is_a_usage_error(tmp_path: Path, sqlite_url: str) -> None:
    path = _request_file(tmp_path, {})
    result = CliRunner().invoke(cli, ["import", str(path), "--store", sqlite_url, "--redact", "x"])
    assert result.exit_code == 2
    assert "expected off, key:REGEX or value:KIND=REGEX" in result.output
