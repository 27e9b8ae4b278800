"""Overload is retryable: UNAVAILABLE with RetryInfo, never RESOURCE_EXHAUSTED without it.

A Collector's exporter drops data on RESOURCE_EXHAUSTED that carries no RetryInfo.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from google.rpc import error_details_pb2

from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import open_store
from tests.builders import make_span
from tests.receiver.clients import GrpcAnswer, call_grpc
from tests.receiver.conftest import grpc_port, loopback_config
from tests.receiver.stores import HeldStore, SlowStore
from tests.waiting import wait_until

CONCURRENT_CALLS = 100
SPANS_PER_CALL = 20


def _body(trace: int) -> bytes:
    spans = [make_span(trace, span) for span in range(1, SPANS_PER_CALL + 1)]
    return spans_to_request(spans).SerializeToString()


def _send_concurrently(port: int, calls: int) -> list[GrpcAnswer]:
    barrier = threading.Barrier(calls)

    def send(trace: int) -> GrpcAnswer:
        barrier.wait(timeout=30)
        return call_grpc(port, _body(trace), timeout=30)

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(send, range(1, calls + 1)))


def _assert_retryable(answer: GrpcAnswer) -> None:
    assert answer.code is grpc.StatusCode.UNAVAILABLE, (answer.code, answer.details)
    retry_info_bin = answer.trailers["google.rpc.retryinfo-bin"]
    assert isinstance(retry_info_bin, bytes)
    assert error_details_pb2.RetryInfo.FromString(retry_info_bin).retry_delay.seconds == 1
    assert "grpc-status-details-bin" in answer.trailers


def test_many_concurrent_calls_are_all_served_or_told_to_retry(tmp_path: Path) -> None:
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    receiver = Receiver(loopback_config(inner.url), store=SlowStore(inner, 0.1))  # type: ignore[arg-type]
    try:
        answers = _send_concurrently(grpc_port(receiver), CONCURRENT_CALLS)
        for answer in answers:
            if answer.code is not grpc.StatusCode.OK:
                _assert_retryable(answer)
        served = [n for n, a in enumerate(answers, 1) if a.code is grpc.StatusCode.OK]
        assert len(served) == CONCURRENT_CALLS  # the default pending cap holds them all
        assert inner.counts().spans == CONCURRENT_CALLS * SPANS_PER_CALL
    finally:
        receiver.stop()
        inner.close()


def test_pending_cap_answers_unavailable_with_retry_info_and_retries_get_in(
    tmp_path: Path,
) -> None:
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    config = loopback_config(inner.url, max_pending_items=3 * SPANS_PER_CALL)
    held = HeldStore(inner)
    receiver = Receiver(config, store=held)  # type: ignore[arg-type]
    calls = 20
    try:
        port = grpc_port(receiver)
        with ThreadPoolExecutor(1) as background:
            sending = background.submit(_send_concurrently, port, calls)
            try:
                # While the first write is held, what is pending only grows: the cap must be hit.
                wait_until(
                    lambda: receiver.ingestor.counters["errors_overloaded"] > 0,
                    "a call is refused",
                )
            finally:
                held.released.set()
            answers = sending.result(timeout=60)
        refused = [n for n, a in enumerate(answers, 1) if a.code is not grpc.StatusCode.OK]
        assert refused  # the cap was reached
        for trace in refused:
            _assert_retryable(answers[trace - 1])
        for trace in refused:  # what an exporter does after the delay
            for _attempt in range(20):
                if call_grpc(port, _body(trace)).code is grpc.StatusCode.OK:
                    break
            else:
                raise AssertionError(f"trace {trace} was never accepted")
        assert inner.counts().spans == calls * SPANS_PER_CALL
        assert receiver.ingestor.counters["errors_overloaded"] == len(refused)
    finally:
        receiver.stop()
        inner.close()
