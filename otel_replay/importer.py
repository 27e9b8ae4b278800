"""Import OTLP files (JSON, JSON lines as the Collector's file exporter writes, or protobuf)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from otel_replay.core.errors import BadInputError
from otel_replay.otlp.decode import Encoding, decode_logs_request, decode_trace_request
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.store.base import SpanStore
from otel_replay.store.rows import LogBatch, SpanBatch, build_log_batch, build_span_batch


@dataclass(frozen=True)
class ImportResult:
    requests: int
    spans: int
    log_records: int
    rejected: int


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


def decode_file(
    data: bytes, name: str, session_keys: tuple[str, ...]
) -> tuple[list[SpanBatch], list[LogBatch]]:
    """Decode one file's content into batches; BadInputError names the file and the problem."""
    spans: list[SpanBatch] = []
    logs: list[LogBatch] = []
    if data.lstrip()[:1] in (b"{", b"["):
        for doc in _json_documents(data, name):
            head = json.loads(doc)
            if not isinstance(head, dict):
                raise BadInputError(f"{name}: expected an OTLP/JSON object")
            try:
                if "resourceLogs" in head:
                    logs.append(build_log_batch(decode_logs_request(doc, Encoding.JSON)))
                elif "resourceSpans" in head:
                    spans.append(
                        build_span_batch(decode_trace_request(doc, Encoding.JSON), session_keys)
                    )
                elif "resourceMetrics" in head:
                    raise BadInputError("metrics are not imported")
                else:
                    raise BadInputError("neither resourceSpans nor resourceLogs found")
            except BadInputError as exc:
                raise BadInputError(f"{name}: {exc}") from None
        return spans, logs
    try:
        span_batch = build_span_batch(decode_trace_request(data, Encoding.PROTOBUF), session_keys)
    except BadInputError as exc:
        raise BadInputError(f"{name}: {exc}") from None
    if span_batch.spans or not data:
        return [span_batch], []
    # Both requests put a repeated message in field 1; a logs request read as traces yields
    # spans with no valid ids, so try logs next.
    log_request = decode_logs_request(data, Encoding.PROTOBUF)
    if any(sl.log_records for rl in log_request.resource_logs for sl in rl.scope_logs):
        return [], [build_log_batch(log_request)]
    return [span_batch], []


def import_data(
    store: SpanStore,
    sources: Iterable[tuple[str, bytes]],
    session_keys: tuple[str, ...] = DEFAULT_SESSION_KEYS,
) -> ImportResult:
    """Decode every source first, then commit all of it in one transaction (all or nothing)."""
    span_batches: list[SpanBatch] = []
    log_batches: list[LogBatch] = []
    for name, data in sources:
        file_spans, file_logs = decode_file(data, name, session_keys)
        span_batches.extend(file_spans)
        log_batches.extend(file_logs)
    store.write(span_batches, log_batches)
    return ImportResult(
        requests=len(span_batches) + len(log_batches),
        spans=sum(len(b.spans) for b in span_batches),
        log_records=sum(len(b.logs) for b in log_batches),
        rejected=sum(b.rejected for b in span_batches) + sum(b.rejected for b in log_batches),
    )


__all__ = ["ImportResult", "decode_file", "import_data"]
