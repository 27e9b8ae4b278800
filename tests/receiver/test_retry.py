"""A store that is briefly down: the receiver answers retryable, the official exporters retry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk.trace.export import SpanExportResult

from otel_replay.core.errors import StoreUnavailableError
from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.store.rows import LogBatch, SpanBatch
from tests.builders import make_span
from tests.receiver import sdk_session as rec
from tests.receiver.clients import JSON, PROTOBUF, call_grpc, otlp_json, post_http
from tests.receiver.conftest import grpc_port, http_port, loopback_config


class FailingFirstWrites:
    """A fault injector around a real store: the first writes raise StoreUnavailableError."""

    def __init__(self, inner: SqlSpanStore, failures: int) -> None:
        self.inner = inner
        self.url = inner.url
        self.failures_left = failures
        self.attempts = 0
        self._lock = threading.Lock()

    def write(self, span_batches: Sequence[SpanBatch], log_batches: Sequence[LogBatch]) -> None:
        with self._lock:
            self.attempts += 1
            if self.failures_left > 0:
                self.failures_left -= 1
                raise StoreUnavailableError("store unavailable (injected by the test)")
        self.inner.write(span_batches, log_batches)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.fixture
def flaky_store(tmp_path: Path) -> Iterator[FailingFirstWrites]:
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield FailingFirstWrites(inner, failures=0)
    inner.close()


@pytest.fixture
def flaky_receiver(flaky_store: FailingFirstWrites) -> Iterator[Receiver]:
    running = Receiver(loopback_config(flaky_store.url), store=flaky_store)  # type: ignore[arg-type]
    yield running
    running.stop()


class RecordedWaits(threading.Event):
    """Stands in for the event an exporter waits on between retries (its shutdown signal):
    records each delay the exporter chose and returns at once, so no test sleeps through it."""

    def __init__(self) -> None:
        super().__init__()
        self.delays: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.delays.append(timeout)
        return self.is_set()


FAILURES = 3


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_official_exporter_retries_after_the_given_delay_and_spans_are_stored_once(
    flaky_receiver: Receiver, flaky_store: FailingFirstWrites, transport: str
) -> None:
    spans = rec.record_session().spans
    exporter: GrpcSpanExporter | HttpSpanExporter
    waits = RecordedWaits()
    # Where each exporter (opentelemetry-exporter-otlp 1.45) waits out its retry delay.
    if transport == "grpc":
        exporter = GrpcSpanExporter(
            endpoint=f"127.0.0.1:{grpc_port(flaky_receiver)}", insecure=True
        )
        exporter._shutdown_in_progress = waits
    else:
        exporter = HttpSpanExporter(
            endpoint=f"http://127.0.0.1:{http_port(flaky_receiver)}/v1/traces"
        )
        exporter._client._shutdown_event = waits
    flaky_store.failures_left = FAILURES
    try:
        result = exporter.export(spans)
    finally:
        exporter.shutdown()

    assert result is SpanExportResult.SUCCESS
    assert flaky_store.attempts == FAILURES + 1
    # The receiver's 1 s (RetryInfo, Retry-After) each time; the exporters' own backoff would
    # have been 1 s, 2 s, 4 s, each with +-20 % jitter.
    assert waits.delays == [1.0] * FAILURES
    counters = flaky_receiver.ingestor.counters
    assert counters[f"{transport}_requests"] == FAILURES + 1
    assert counters["errors_store_unavailable"] == FAILURES
    assert counters["spans_accepted"] == len(spans)
    counts = flaky_store.inner.counts()
    assert (counts.spans, counts.traces) == (len(spans), 2)
    assert flaky_store.inner.integrity_problems() == []


def test_grpc_unavailable_carries_retry_info_in_both_trailers(
    flaky_receiver: Receiver, flaky_store: FailingFirstWrites
) -> None:
    flaky_store.failures_left = 1
    body = spans_to_request([make_span(1, 1)]).SerializeToString()
    answer = call_grpc(grpc_port(flaky_receiver), body)

    assert answer.code is grpc.StatusCode.UNAVAILABLE
    assert answer.details == "store unavailable (injected by the test)"
    expected_delay = duration_pb2.Duration(seconds=1)
    retry_info_bin, status_bin = (
        answer.trailers["google.rpc.retryinfo-bin"],
        answer.trailers["grpc-status-details-bin"],
    )
    assert isinstance(retry_info_bin, bytes) and isinstance(status_bin, bytes)
    retry_info = error_details_pb2.RetryInfo.FromString(retry_info_bin)
    assert retry_info.retry_delay == expected_delay
    status = status_pb2.Status.FromString(status_bin)
    assert (status.code, status.message) == (
        grpc.StatusCode.UNAVAILABLE.value[0],
        "store unavailable (injected by the test)",
    )
    (detail,) = status.details
    unpacked = error_details_pb2.RetryInfo()
    assert detail.Unpack(unpacked)
    assert unpacked.retry_delay == expected_delay
    assert flaky_store.inner.counts().spans == 0

    # The next attempt (the store is back) succeeds.
    assert call_grpc(grpc_port(flaky_receiver), body).code is grpc.StatusCode.OK
    assert flaky_store.inner.counts().spans == 1


def test_http_503_carries_retry_after_and_a_status_body(
    flaky_receiver: Receiver, flaky_store: FailingFirstWrites
) -> None:
    flaky_store.failures_left = 1
    body = spans_to_request([make_span(1, 1)]).SerializeToString()
    answer = post_http(http_port(flaky_receiver), body)

    assert answer.status == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.content_type == PROTOBUF
    status = status_pb2.Status.FromString(answer.body)
    assert (status.code, status.message) == (
        grpc.StatusCode.UNAVAILABLE.value[0],
        "store unavailable (injected by the test)",
    )
    flaky_store.failures_left = 1
    json_answer = post_http(
        http_port(flaky_receiver), otlp_json(spans_to_request([make_span(1, 1)])), content_type=JSON
    )
    assert (json_answer.status, json_answer.content_type) == (503, JSON)
    assert json_answer.headers["retry-after"] == "1"
    assert json.loads(json_answer.body) == {
        "code": grpc.StatusCode.UNAVAILABLE.value[0],
        "message": "store unavailable (injected by the test)",
    }
    assert flaky_store.inner.counts().spans == 0
    assert post_http(http_port(flaky_receiver), body).status == 200
    assert flaky_store.inner.counts().spans == 1
