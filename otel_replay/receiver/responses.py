"""Pure: the OTLP export response for an ingest outcome, the same for gRPC and HTTP.

OTLP: a full success leaves `partial_success` unset; when items were rejected it carries
their count and why. Transports only serialise the message (protobuf, or JSON for HTTP).
"""

from __future__ import annotations

from enum import StrEnum

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.receiver.ingest import ExportResult

ExportResponse = (
    trace_service_pb2.ExportTraceServiceResponse
    | logs_service_pb2.ExportLogsServiceResponse
    | metrics_service_pb2.ExportMetricsServiceResponse
)


class Signal(StrEnum):
    """The OTLP signals the receiver accepts (metrics are accepted and discarded)."""

    TRACES = "traces"
    LOGS = "logs"
    METRICS = "metrics"


def build_export_response(signal: Signal, result: ExportResult) -> ExportResponse:
    """The Export{Trace,Logs,Metrics}ServiceResponse telling the sender what was rejected."""
    if signal is Signal.METRICS:
        return metrics_service_pb2.ExportMetricsServiceResponse()
    if signal is Signal.TRACES:
        traces = trace_service_pb2.ExportTraceServiceResponse()
        if result.rejected:
            traces.partial_success.rejected_spans = result.rejected
            traces.partial_success.error_message = result.error_message
        return traces
    logs = logs_service_pb2.ExportLogsServiceResponse()
    if result.rejected:
        logs.partial_success.rejected_log_records = result.rejected
        logs.partial_success.error_message = result.error_message
    return logs
