"""Import OTLP files (JSON, JSON lines as the Collector's file exporter writes, or protobuf),
and Vapi and Retell call files (calls/payloads.py), which become spans in the voice-call
convention."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.core.errors import BadInputError
from otel_replay.otlp.decode import Encoding, decode_logs_request, decode_trace_request
from otel_replay.otlp.redact import Redactor
from otel_replay.semconv.attributes import VoiceCall
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.store.base import SpanStore
from otel_replay.store.rows import LogBatch, SpanBatch, build_log_batch, build_span_batch


@dataclass(frozen=True)
class ImportResult:
    requests: int
    spans: int
    log_records: int
    rejected: int
    redacted: int = 0  # values replaced by redaction markers
    calls: int = 0  # Vapi and Retell calls among the documents


def _json_documents(data: bytes, name: str) -> list[bytes]:
    text = data.strip()
    try:
        json.loads(text)
        return [text]
    except RecursionError:
        raise BadInputError(f"{name}: JSON nests too deeply") from None
    except ValueError:
        pass
    lines = [line for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines, 1):
        try:
            json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise BadInputError(f"{name}: line {number} is not OTLP/JSON: {exc}") from None
    return lines


def _span_batch(
    request: trace_service_pb2.ExportTraceServiceRequest,
    session_keys: tuple[str, ...],
    redactor: Redactor | None,
) -> SpanBatch:
    if redactor is not None and redactor.enabled:
        redactor.redact_traces(request)
    return build_span_batch(request, session_keys)


def _log_batch(
    request: logs_service_pb2.ExportLogsServiceRequest, redactor: Redactor | None
) -> LogBatch:
    if redactor is not None and redactor.enabled:
        redactor.redact_logs(request)
    return build_log_batch(request)


_OTLP_KEYS = ("resourceSpans", "resourceLogs", "resourceMetrics")


def _call(document: dict[str, Any]) -> trace_service_pb2.ExportTraceServiceRequest | None:
    """The spans of a Vapi or Retell call, or None for a document that is no call. The call
    parsers load only for a document that is no OTLP request."""
    from otel_replay.calls.payloads import call_platform, parse_call_document
    from otel_replay.calls.spans import call_trace_request

    if call_platform(document) is None:
        return None
    return call_trace_request(parse_call_document(document))


def decode_file(
    data: bytes,
    name: str,
    session_keys: tuple[str, ...],
    redactor: Redactor | None = None,
) -> tuple[list[SpanBatch], list[LogBatch]]:
    """Decode one file's content into batches, secrets redacted by `redactor` before rows are
    built; BadInputError names the file and the problem."""
    spans: list[SpanBatch] = []
    logs: list[LogBatch] = []
    if data.lstrip()[:1] in (b"{", b"["):
        for doc in _json_documents(data, name):
            head = json.loads(doc)
            if not isinstance(head, dict):
                raise BadInputError(f"{name}: expected an OTLP/JSON object")
            try:
                if not any(key in head for key in _OTLP_KEYS) and (call := _call(head)):
                    spans.append(_span_batch(call, session_keys, redactor))
                elif "resourceLogs" in head:
                    logs.append(_log_batch(decode_logs_request(doc, Encoding.JSON), redactor))
                elif "resourceSpans" in head:
                    spans.append(
                        _span_batch(
                            decode_trace_request(doc, Encoding.JSON), session_keys, redactor
                        )
                    )
                elif "resourceMetrics" in head:
                    raise BadInputError("metrics are not imported")
                else:
                    raise BadInputError(
                        "neither resourceSpans nor resourceLogs found, nor a Vapi or Retell call"
                    )
            except BadInputError as exc:
                raise BadInputError(f"{name}: {exc}") from None
        return spans, logs
    try:
        trace_request = decode_trace_request(data, Encoding.PROTOBUF)
    except BadInputError as exc:
        raise BadInputError(f"{name}: {exc}") from None
    # Rows are built unredacted only to tell the two kinds apart; what is kept is redacted.
    if build_span_batch(trace_request, session_keys).spans or not data:
        return [_span_batch(trace_request, session_keys, redactor)], []
    # Both requests put a repeated message in field 1; a logs request read as traces yields
    # spans with no valid ids, so try logs next.
    log_request = decode_logs_request(data, Encoding.PROTOBUF)
    if any(sl.log_records for rl in log_request.resource_logs for sl in rl.scope_logs):
        return [], [_log_batch(log_request, redactor)]
    return [_span_batch(trace_request, session_keys, redactor)], []


def import_data(
    store: SpanStore,
    sources: Iterable[tuple[str, bytes]],
    session_keys: tuple[str, ...] = DEFAULT_SESSION_KEYS,
    redactor: Redactor | None = None,
) -> ImportResult:
    """Decode and redact every source first (default redaction rules unless `redactor` says
    otherwise), then commit all of it in one transaction (all or nothing)."""
    redactor = redactor if redactor is not None else Redactor()
    redacted_before = sum(redactor.counts.values())
    span_batches: list[SpanBatch] = []
    log_batches: list[LogBatch] = []
    for name, data in sources:
        file_spans, file_logs = decode_file(data, name, session_keys, redactor)
        span_batches.extend(file_spans)
        log_batches.extend(file_logs)
    store.write(span_batches, log_batches)
    return ImportResult(
        requests=len(span_batches) + len(log_batches),
        spans=sum(len(b.spans) for b in span_batches),
        log_records=sum(len(b.logs) for b in log_batches),
        rejected=sum(b.rejected for b in span_batches) + sum(b.rejected for b in log_batches),
        redacted=sum(redactor.counts.values()) - redacted_before,
        calls=sum(1 for b in span_batches for row in b.spans if row.name == VoiceCall.SPAN_CALL),
    )


__all__ = ["ImportResult", "decode_file", "import_data"]
