"""Metrics are accepted and discarded: SDKs export them by default, and an error answer only
fills their logs (they got 404 / UNIMPLEMENTED before)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
    OTLPMetricExporter as GrpcMetricExporter,
)
from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
    OTLPMetricExporter as HttpMetricExporter,
)
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult, MetricsData

from otel_replay.receiver.serve import Receiver
from otel_replay.store import SqlSpanStore
from tests.receiver.clients import JSON, PROTOBUF, call_grpc, post_http
from tests.receiver.conftest import grpc_port, http_port

METRICS_METHOD = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"


def _metrics_data() -> MetricsData:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    meter = provider.get_meter("tests")
    meter.create_counter("gen_ai.client.token.usage").add(12, {"gen_ai.token.type": "input"})
    meter.create_histogram("gen_ai.client.operation.duration").record(0.4)
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    return data


def _grpc_exporter(receiver: Receiver) -> Any:
    return GrpcMetricExporter(endpoint=f"127.0.0.1:{grpc_port(receiver)}", insecure=True)


def _http_exporter(receiver: Receiver) -> Any:
    return HttpMetricExporter(endpoint=f"http://127.0.0.1:{http_port(receiver)}/v1/metrics")


@pytest.mark.parametrize("make_exporter", [_grpc_exporter, _http_exporter], ids=["grpc", "http"])
def test_official_metric_exporters_succeed_and_nothing_is_stored(
    receiver: Receiver, store: SqlSpanStore, make_exporter: Callable[[Receiver], Any]
) -> None:
    exporter = make_exporter(receiver)
    try:
        assert exporter.export(_metrics_data()) is MetricExportResult.SUCCESS
    finally:
        exporter.shutdown()
    assert receiver.ingestor.counters["metrics_requests_discarded"] == 1
    assert store.counts().spans == 0
    assert sum(v for k, v in receiver.ingestor.counters.items() if k.startswith("errors_")) == 0


def test_raw_metric_requests_get_an_empty_response_in_their_encoding(receiver: Receiver) -> None:
    answer = call_grpc(grpc_port(receiver), b"", method=METRICS_METHOD)
    assert metrics_service_pb2.ExportMetricsServiceResponse.FromString(answer.body) == (
        metrics_service_pb2.ExportMetricsServiceResponse()
    )
    protobuf = post_http(http_port(receiver), b"", path="/v1/metrics", content_type=PROTOBUF)
    assert (protobuf.status, protobuf.content_type, protobuf.body) == (200, PROTOBUF, b"")
    json_answer = post_http(http_port(receiver), b"{}", path="/v1/metrics", content_type=JSON)
    assert (json_answer.status, json_answer.content_type, json_answer.body) == (200, JSON, b"{}")
