"""The row builder with a redactor: rows hold no secret the rules find, wherever it was in
the request, and a request without one is built once, as without a redactor."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.otlp.convert import value_to_pb2
from otel_replay.otlp.redact import Redactor
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.store.rows import build_log_batch, build_span_batch

OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2


def _request(
    resource: dict[str, str], span: dict[str, str]
) -> trace_service_pb2.ExportTraceServiceRequest:
    request = trace_service_pb2.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in resource.items():
        value_to_pb2(value, resource_spans.resource.attributes.add(key=key).value)
    pb2_span = resource_spans.scope_spans.add().spans.add(
        trace_id=bytes(range(1, 17)), span_id=bytes(range(1, 9)), name="chat"
    )
    for key, value in span.items():
        value_to_pb2(value, pb2_span.attributes.add(key=key).value)
    return request


def test_rows_hold_no_secret_from_a_span_or_its_resource() -> None:
    redactor = Redactor()
    request = _request({"OPENAI_API_KEY": "abc"}, {"gen_ai.prompt": f"use {OPENAI_KEY} now"})

    batch = build_span_batch(request, DEFAULT_SESSION_KEYS, redactor)

    [span] = batch.spans
    attributes = trace_pb2.Span.FromString(span.span_pb).attributes
    assert attributes[0].value.string_value == "use [REDACTED:openai-key] now"
    assert b"abc" not in batch.scopes[0].resource_pb
    assert b"[REDACTED:api-key]" in batch.scopes[0].resource_pb
    assert dict(redactor.counts) == {"openai-key": 1, "api-key": 1}


def test_a_request_without_secrets_gives_the_rows_it_gives_unredacted() -> None:
    request = _request({"service.name": "shop"}, {"gen_ai.usage.input_tokens": "12"})
    redactor = Redactor()

    assert build_span_batch(request, DEFAULT_SESSION_KEYS, redactor) == build_span_batch(
        request, DEFAULT_SESSION_KEYS
    )
    assert not redactor.counts


def test_log_rows_hold_no_secret_from_a_body() -> None:
    request = logs_service_pb2.ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    value_to_pb2(f"Authorization: Bearer {OPENAI_KEY}", record.body)

    batch = build_log_batch(request, Redactor())

    assert OPENAI_KEY.encode() not in batch.logs[0].record_pb
    assert b"[REDACTED:" in batch.logs[0].record_pb


def test_custom_rules_redact_the_rows_without_a_quick_look() -> None:
    redactor = Redactor(default_rules=False, extra_values=[("ticket", r"T-[0-9]+")])
    request = _request({}, {"note": "see T-42"})

    batch = build_span_batch(request, DEFAULT_SESSION_KEYS, redactor)

    assert b"see [REDACTED:ticket]" in batch.spans[0].span_pb
    assert dict(redactor.counts) == {"ticket": 1}
