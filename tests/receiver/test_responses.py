"""The one export-response builder both transports answer with, tested as a table."""

from __future__ import annotations

import pytest
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.receiver.ingest import ExportResult
from otel_replay.receiver.responses import Signal, build_export_response


def _partial_traces(rejected: int, message: str) -> trace_service_pb2.ExportTraceServiceResponse:
    response = trace_service_pb2.ExportTraceServiceResponse()
    response.partial_success.rejected_spans = rejected
    response.partial_success.error_message = message
    return response


def _partial_logs(rejected: int, message: str) -> logs_service_pb2.ExportLogsServiceResponse:
    response = logs_service_pb2.ExportLogsServiceResponse()
    response.partial_success.rejected_log_records = rejected
    response.partial_success.error_message = message
    return response


@pytest.mark.parametrize(
    ("signal", "result", "expected"),
    [
        pytest.param(
            Signal.TRACES,
            ExportResult(),
            trace_service_pb2.ExportTraceServiceResponse(),
            id="traces_full_success_leaves_partial_success_unset",
        ),
        pytest.param(
            Signal.TRACES,
            ExportResult(2, "2 span(s) rejected"),
            _partial_traces(2, "2 span(s) rejected"),
            id="traces_rejected_spans_and_message",
        ),
        pytest.param(
            Signal.LOGS,
            ExportResult(),
            logs_service_pb2.ExportLogsServiceResponse(),
            id="logs_full_success_leaves_partial_success_unset",
        ),
        pytest.param(
            Signal.LOGS,
            ExportResult(1, "1 log record(s) rejected"),
            _partial_logs(1, "1 log record(s) rejected"),
            id="logs_rejected_log_records_and_message",
        ),
    ],
)
def test_export_response_carries_rejections_as_partial_success(
    signal: Signal, result: ExportResult, expected: Message
) -> None:
    response = build_export_response(signal, result)
    assert type(response) is type(expected)
    assert response == expected
    assert response.HasField("partial_success") is bool(result.rejected)


def test_full_success_serialises_to_an_empty_body() -> None:
    assert build_export_response(Signal.TRACES, ExportResult()).SerializeToString() == b""
