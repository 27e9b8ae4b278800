"""The reliability suite, a few cycles each (bench/reliability.py runs the full counts): kill -9
under mixed gRPC and HTTP load, the malformed-input corpus over both transports, a store that
fills up, slow TLS clients; on SQLite and PostgreSQL where the fault exists on both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from otel_replay.core.records import AnyValue
from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import open_store
from tests.builders import make_span
from tests.receiver.clients import JSON, call_grpc, otlp_json, post_http
from tests.receiver.conftest import grpc_port, http_port, loopback_config
from tests.receiver.test_malformed_input import (
    GRPC_CASES,
    HTTP_CASES,
    LIMIT,
    GrpcCase,
    HttpCase,
    _assert_grpc_answer,
    _assert_http_answer,
)
from tests.receiver.tls import make_certificate
from tests.reliability.cycles import fill_up_cycle, freeze_cycle, kill_cycles, slow_tls_cycle

KILL_CYCLES = 2


def test_acknowledged_spans_survive_kill_9_under_grpc_and_http_load(store_url: str) -> None:
    report = kill_cycles(store_url, KILL_CYCLES)
    assert report.failed_attempts > 0  # the kills landed while requests were in flight
    assert report.check.missing == []
    assert report.check.problems == []
    assert report.check.stored_traces >= len(report.acked) >= 2 * 4 * KILL_CYCLES


def test_a_frozen_postgresql_is_answered_retryable_by_serve_and_recovers(postgres_url: str) -> None:
    # Through `serve` (its store writer process and its own backend): a lock held elsewhere,
    # then every backend of the server SIGSTOPped.
    report = freeze_cycle(postgres_url)
    assert report.locked_answer == "retryable" and report.locked_seconds < 6
    assert report.frozen_answer == "retryable" and report.frozen_seconds < 10
    assert report.after_answer == "ok"


@pytest.fixture
def corpus_receiver(store_url: str) -> Iterator[Receiver]:
    running = Receiver(loopback_config(store_url, max_request_bytes=LIMIT))
    yield running
    running.stop()


def _poison_bodies() -> list[bytes]:
    """Text PostgreSQL cannot store as given: each is stored normalised."""
    poisons: list[dict[str, AnyValue]] = [
        {"session.id": "a\x00b"},
        {"session.id": os.urandom(2000).hex()},
        {"user.id": "u\x00", "gen_ai.prompt": "\x00" * 100},
    ]
    return [
        spans_to_request(
            [make_span(9000 + n, 1, name=f"p\x00{n}", attributes=attributes)]
        ).SerializeToString()
        for n, attributes in enumerate(poisons)
    ]


def test_the_malformed_input_corpus_gets_its_exact_answers_on_both_transports(
    corpus_receiver: Receiver,
) -> None:
    expected_spans = 0
    for param in HTTP_CASES:
        http_case = param.values[0]
        assert isinstance(http_case, HttpCase)
        _assert_http_answer(http_case, http_port(corpus_receiver))
        expected_spans += http_case.stored_spans
    for param in GRPC_CASES:
        grpc_case = param.values[0]
        assert isinstance(grpc_case, GrpcCase)
        _assert_grpc_answer(grpc_case, grpc_port(corpus_receiver))
        expected_spans += grpc_case.stored_spans
    for n, body in enumerate(_poison_bodies()):
        if n % 2:
            assert call_grpc(grpc_port(corpus_receiver), body).code is grpc.StatusCode.OK
        else:
            assert post_http(http_port(corpus_receiver), body).status == 200
        expected_spans += 1
    json_poison = spans_to_request([make_span(9100, 1, name="j\x00")])
    assert (
        post_http(http_port(corpus_receiver), otlp_json(json_poison), content_type=JSON).status
        == 200
    )
    expected_spans += 1

    counters = corpus_receiver.ingestor.counters
    assert counters["errors_internal"] == counters["errors_store_unavailable"] == 0
    store = open_store(corpus_receiver.store.url)
    try:
        assert store.counts().spans == expected_spans
        assert store.integrity_problems() == []
    finally:
        store.close()


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_a_store_that_fills_up_is_answered_retryable_and_loses_nothing(
    tmp_path: Path, transport: str
) -> None:
    report = fill_up_cycle(tmp_path, transport)
    assert report.other_answers == []  # never INTERNAL / 400 / 500: only OK or retry
    assert report.refused_retryable > 0  # the file limit was reached
    assert report.stored_after_lift == report.refused_retryable
    assert report.check.missing == [] and report.check.problems == []


def test_slow_tls_clients_block_neither_exports_nor_shutdown(tmp_path: Path) -> None:
    certificate = make_certificate(tmp_path)
    report = slow_tls_cycle(certificate, tmp_path, stalled=8, exports=5)
    assert report.exports_ok == report.exports
