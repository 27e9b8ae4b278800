"""The official OpenTelemetry exporters (gRPC and HTTP, plain and gzip) against our receiver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.trace.export import SpanExportResult

from otel_replay.core.records import SpanKind, StatusCode
from otel_replay.otlp.convert import log_records_from_request, spans_from_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import SqlSpanStore
from tests.builders import SECOND, T0
from tests.receiver import sdk_session as rec
from tests.receiver.conftest import grpc_port, http_port

Exporters = tuple[Any, Any]


def _grpc_exporters(receiver: Receiver, gzip: bool) -> Exporters:
    endpoint = f"127.0.0.1:{grpc_port(receiver)}"
    compression = grpc.Compression.Gzip if gzip else grpc.Compression.NoCompression
    return (
        GrpcSpanExporter(endpoint=endpoint, insecure=True, compression=compression),
        GrpcLogExporter(endpoint=endpoint, insecure=True, compression=compression),
    )


def _http_exporters(receiver: Receiver, gzip: bool) -> Exporters:
    base = f"http://127.0.0.1:{http_port(receiver)}"
    compression = HttpCompression.Gzip if gzip else HttpCompression.NoCompression
    return (
        HttpSpanExporter(endpoint=f"{base}/v1/traces", compression=compression),
        HttpLogExporter(endpoint=f"{base}/v1/logs", compression=compression),
    )


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("make_exporters", [_grpc_exporters, _http_exporters], ids=["grpc", "http"])
def test_official_exporters_store_spans_and_log_records_exactly_as_sent(
    receiver: Receiver,
    store: SqlSpanStore,
    make_exporters: Callable[[Receiver, bool], Exporters],
    gzip: bool,
) -> None:
    session = rec.record_session()
    span_exporter, log_exporter = make_exporters(receiver, gzip)
    try:
        assert span_exporter.export(session.spans) is SpanExportResult.SUCCESS
        assert log_exporter.export(session.log_records) is LogRecordExportResult.SUCCESS
    finally:
        span_exporter.shutdown()
        log_exporter.shutdown()

    # Exactly what the exporter put on the wire comes back, field for field.
    trace_ids = [rec.TURN_1_TRACE_ID, rec.TURN_2_TRACE_ID]
    stored = store.get_spans(trace_ids)
    sent = sorted(
        spans_from_request(encode_spans(session.spans)),
        key=lambda s: (s.trace_id, s.start_time_unix_nano, s.span_id),
    )
    assert stored == sent
    stored_logs = store.get_log_records(trace_ids)
    assert stored_logs == list(log_records_from_request(encode_logs(session.log_records)))

    # And what was sent is what the session recorded: nested values, events, links, status.
    by_id = {s.span_id: s for s in stored}
    assert set(by_id) == {
        rec.TURN_1_ROOT_ID,
        rec.TURN_2_ROOT_ID,
        rec.CHAT_SPAN_ID,
        rec.TOOL_SPAN_ID,
    }
    chat = by_id[rec.CHAT_SPAN_ID]
    assert (chat.trace_id, chat.parent_span_id) == (rec.TURN_2_TRACE_ID, rec.TURN_2_ROOT_ID)
    assert chat.kind is SpanKind.CLIENT
    assert (chat.start_time_unix_nano, chat.end_time_unix_nano) == (
        T0 + 61 * SECOND,
        T0 + 63 * SECOND,
    )
    assert chat.attributes == rec.CHAT_ATTRIBUTES
    ((event),) = chat.events
    assert (event.name, event.time_unix_nano) == ("gen_ai.choice", T0 + 62 * SECOND)
    assert event.attributes == rec.CHOICE_EVENT_ATTRIBUTES
    assert chat.resource.attributes == rec.RESOURCE_ATTRIBUTES
    assert (chat.scope.name, chat.scope.version) == ("weather-agent", "2.1.0")
    ((link),) = by_id[rec.TURN_2_ROOT_ID].links
    assert (link.trace_id, link.span_id) == (rec.TURN_1_TRACE_ID, rec.TURN_1_ROOT_ID)
    assert link.attributes == rec.LINK_ATTRIBUTES
    tool = by_id[rec.TOOL_SPAN_ID]
    assert (tool.status_code, tool.status_message) == (
        StatusCode.ERROR,
        "weather service timed out",
    )

    ((log),) = stored_logs
    assert (log.trace_id, log.span_id) == (rec.TURN_2_TRACE_ID, rec.CHAT_SPAN_ID)
    assert (log.event_name, log.severity_number, log.severity_text) == ("gen_ai.choice", 9, "INFO")
    assert (log.time_unix_nano, log.observed_time_unix_nano) == (
        T0 + 62 * SECOND,
        T0 + 62 * SECOND + 1,
    )
    assert log.body == rec.LOG_BODY
    assert log.attributes == rec.LOG_ATTRIBUTES
    assert log.resource.attributes == rec.RESOURCE_ATTRIBUTES

    (session_summary,) = store.list_sessions()
    assert (session_summary.session_id, session_summary.trace_count) == (rec.CONVERSATION_ID, 2)
    assert session_summary.span_count == 4
    assert session_summary.service_name == "weather-agent"
    assert (session_summary.first_start_unix_nano, session_summary.last_end_unix_nano) == (
        T0,
        T0 + 65 * SECOND,
    )
    counts = store.counts()
    assert (counts.spans, counts.traces, counts.sessions, counts.log_records) == (4, 2, 1, 1)


def test_re_exported_spans_and_logs_are_stored_once(
    receiver: Receiver, store: SqlSpanStore
) -> None:
    session = rec.record_session()
    span_exporter, log_exporter = _grpc_exporters(receiver, gzip=False)
    try:
        for _ in range(2):
            assert span_exporter.export(session.spans) is SpanExportResult.SUCCESS
            assert log_exporter.export(session.log_records) is LogRecordExportResult.SUCCESS
    finally:
        span_exporter.shutdown()
        log_exporter.shutdown()
    counts = store.counts()
    assert (counts.spans, counts.log_records) == (4, 1)
    assert store.integrity_problems() == []


def test_spans_exported_before_their_root_join_its_session(
    receiver: Receiver, store: SqlSpanStore
) -> None:
    """SDKs export a span when it ends, so an agent run's root arrives last."""
    session = rec.record_session()
    by_id = {format(s.context.span_id, "016x"): s for s in session.spans}
    turn_2_root = by_id[rec.TURN_2_ROOT_ID]
    children = [by_id[rec.CHAT_SPAN_ID], by_id[rec.TOOL_SPAN_ID]]
    exporter, log_exporter = _grpc_exporters(receiver, gzip=False)
    log_exporter.shutdown()
    try:
        assert exporter.export(children) is SpanExportResult.SUCCESS
        # No child carries the conversation id: until the root comes, the trace is its own.
        (alone,) = store.list_sessions()
        assert (alone.session_id, alone.span_count) == (rec.TURN_2_TRACE_ID, 2)
        assert exporter.export([turn_2_root]) is SpanExportResult.SUCCESS
        (joined,) = store.list_sessions()
        assert (joined.session_id, joined.trace_count, joined.span_count) == (
            rec.CONVERSATION_ID,
            1,
            3,
        )
        assert joined.first_start_unix_nano == T0 + 60 * SECOND
        # A later trace of the same conversation joins the same session.
        assert exporter.export([by_id[rec.TURN_1_ROOT_ID]]) is SpanExportResult.SUCCESS
        (grown,) = store.list_sessions()
        assert (grown.session_id, grown.trace_count, grown.span_count) == (
            rec.CONVERSATION_ID,
            2,
            4,
        )
    finally:
        exporter.shutdown()
