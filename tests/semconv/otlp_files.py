"""Load OTLP/JSON fixture files as span and log records."""

from __future__ import annotations

from pathlib import Path

from otel_replay.core.records import LogRecord, Span
from otel_replay.otlp.convert import log_records_from_request, spans_from_request
from otel_replay.otlp.decode import Encoding, decode_logs_request, decode_trace_request


def load_spans(path: Path) -> list[Span]:
    return list(spans_from_request(decode_trace_request(path.read_bytes(), Encoding.JSON)))


def load_logs(path: Path) -> list[LogRecord]:
    return list(log_records_from_request(decode_logs_request(path.read_bytes(), Encoding.JSON)))
