"""Admission before work: over the bytes-in-flight budget, a request is refused as retryable
before it is decoded (gRPC) or read (HTTP, tested in test_http_hardening)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2

from otel_replay.core.errors import OverloadedError
from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.admission import ByteBudget
from otel_replay.receiver.http_connections import ConnectionLimits
from otel_replay.receiver.serve import Receiver
from otel_replay.store import open_store
from tests.builders import make_span
from tests.receiver.clients import TRACES_METHOD, GrpcAnswer, call_grpc
from tests.receiver.conftest import grpc_port, loopback_config
from tests.receiver.stores import HeldStore

CALL_TIMEOUT = 20.0


def test_a_budget_admits_up_to_its_ceiling_and_always_one_request_alone() -> None:
    budget = ByteBudget(100)
    with budget.admit(500), pytest.raises(OverloadedError, match="busy"):  # alone: admitted
        budget.take(1)
    with budget.admit(60), budget.admit(40):
        assert budget.in_flight == 100
        with pytest.raises(OverloadedError):
            budget.take(1)
    assert budget.in_flight == 0
    assert budget.peak == 500


def test_a_ticket_grows_within_the_budget_or_is_refused() -> None:
    budget = ByteBudget(100)
    with budget.admit(10) as first, budget.admit(10) as second:
        first.grow(80)
        assert budget.in_flight == 90
        with pytest.raises(OverloadedError):
            second.grow(30)
        assert budget.in_flight == 90
    assert budget.in_flight == 0


def test_a_closed_budget_refuses_everything() -> None:
    budget = ByteBudget(100)
    budget.close()
    with pytest.raises(OverloadedError, match="shutting down"):
        budget.take(1)


@dataclass(frozen=True)
class HeldCall:
    answer: GrpcAnswer  # to the second call
    counters: Counter[str]
    in_flight_while_held: int
    in_flight_after: int


def _second_call_while_the_first_is_held(
    tmp_path: Path, max_inflight_bytes: int, first: bytes, second: bytes
) -> HeldCall:
    """Send `first`, hold its write, send `second`, release; the answer to `second`."""
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    held = HeldStore(inner)
    receiver = Receiver(
        loopback_config(inner.url, http=None, max_inflight_bytes=max_inflight_bytes),
        store=held,  # type: ignore[arg-type]
    )
    port = grpc_port(receiver)
    try:
        with ThreadPoolExecutor(1) as background:
            first_call = background.submit(call_grpc, port, first, timeout=CALL_TIMEOUT)
            assert held.writing.wait(CALL_TIMEOUT)
            in_flight = receiver.ingestor.budget.in_flight
            answer = call_grpc(port, second, timeout=CALL_TIMEOUT)
            held.released.set()
            assert first_call.result(CALL_TIMEOUT).code is grpc.StatusCode.OK
    finally:
        held.released.set()
        receiver.stop()
        inner.close()
    return HeldCall(
        answer, receiver.ingestor.counters, in_flight, receiver.ingestor.budget.in_flight
    )


def test_grpc_over_the_budget_is_unavailable_with_retry_info_before_decoding(
    tmp_path: Path,
) -> None:
    good = spans_to_request([make_span(1, 1)]).SerializeToString()
    # Garbage: decoding it would answer INVALID_ARGUMENT; admission answers first.
    held = _second_call_while_the_first_is_held(tmp_path, 4096, good, b"\xff" * 100_000)
    refused = held.answer
    assert refused.code is grpc.StatusCode.UNAVAILABLE, refused.details
    assert "busy" in refused.details
    retry_info = refused.trailers["google.rpc.retryinfo-bin"]
    assert isinstance(retry_info, bytes)
    assert error_details_pb2.RetryInfo.FromString(retry_info).retry_delay.seconds == 1
    assert held.counters["errors_overloaded"] == 1
    assert held.counters["errors_bad_input"] == 0
    assert held.in_flight_after == 0


def test_grpc_refuses_without_reading_the_message_once_half_the_budget_is_taken(
    tmp_path: Path,
) -> None:
    first = spans_to_request([make_span(1, 1, attributes={"text": "x" * 5000})])
    held = _second_call_while_the_first_is_held(
        tmp_path, 8192, first.SerializeToString(), b"\xff" * (8 << 20)
    )
    assert held.in_flight_while_held > 4096
    assert held.answer.code is grpc.StatusCode.UNAVAILABLE, held.answer.details
    assert "google.rpc.retryinfo-bin" in held.answer.trailers
    assert held.counters["grpc_requests_refused_unread"] == 1


def test_overload_cycles_end_with_every_request_stored_once_and_nothing_held(
    tmp_path: Path,
) -> None:
    """A few bounded cycles of overload: many senders against a small budget and a held
    store; every refusal is retryable and a retry gets in once the store moves again."""
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    held = HeldStore(inner)
    receiver = Receiver(
        loopback_config(inner.url, http=None, max_inflight_bytes=1),
        store=held,  # type: ignore[arg-type]
    )
    port = grpc_port(receiver)
    senders, cycles = 12, 3
    try:
        for cycle in range(cycles):
            held.released.clear()
            held.writing.clear()
            barrier = threading.Barrier(senders)

            def send(
                n: int, cycle: int = cycle, barrier: threading.Barrier = barrier
            ) -> grpc.StatusCode:
                body = spans_to_request([make_span(cycle * 100 + n + 1, 1)]).SerializeToString()
                barrier.wait(CALL_TIMEOUT)
                return call_grpc(port, body, timeout=CALL_TIMEOUT).code

            with ThreadPoolExecutor(senders) as pool:
                answers = pool.map(send, range(senders))
                assert held.writing.wait(CALL_TIMEOUT)
                held.released.set()
                codes = list(answers)
            assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}
            for n, code in enumerate(codes):
                body = spans_to_request([make_span(cycle * 100 + n + 1, 1)]).SerializeToString()
                for _attempt in range(20):
                    if code is grpc.StatusCode.OK:
                        break
                    code = call_grpc(port, body, timeout=CALL_TIMEOUT).code
                assert code is grpc.StatusCode.OK
        assert inner.counts().spans == senders * cycles
        assert receiver.ingestor.budget.in_flight == 0
    finally:
        held.released.set()
        receiver.stop()
        inner.close()


def test_grpc_connections_over_the_limit_are_closed_and_get_in_once_one_leaves(
    sqlite_url: str,
) -> None:
    config = loopback_config(sqlite_url, http=None, limits=ConnectionLimits(max_connections=1))
    receiver = Receiver(config)
    port = grpc_port(receiver)
    body = spans_to_request([make_span(1, 1)]).SerializeToString()
    try:
        own_connection = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=own_connection) as holder:
            export = holder.unary_unary(
                TRACES_METHOD, request_serializer=None, response_deserializer=None
            )
            export(body, timeout=CALL_TIMEOUT)  # this connection stays open
            assert call_grpc(port, body).code is grpc.StatusCode.UNAVAILABLE
        codes = []
        for _attempt in range(200):  # the server notices the closed connection soon after
            codes.append(call_grpc(port, body).code)
            if codes[-1] is grpc.StatusCode.OK:
                break
        assert codes[-1] is grpc.StatusCode.OK, codes
    finally:
        receiver.stop()


def test_serve_defaults_to_the_receivers_in_flight_budget() -> None:
    from otel_replay.cli.ingest_commands import serve
    from otel_replay.receiver.admission import DEFAULT_MAX_INFLIGHT_BYTES

    (option,) = [p for p in serve.params if p.name == "max_inflight_mib"]
    assert option.default * 2**20 == DEFAULT_MAX_INFLIGHT_BYTES
