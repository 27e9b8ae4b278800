"""Unknown errors are logged (rate-limited, without secrets) and answered as permanent, as the
Collector does; only a store that is down is retryable."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import status_pb2

from otel_replay.core.errors import StoreUnavailableError
from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.errorlog import LOGGER_NAME, RateLimitedLog
from otel_replay.receiver.serve import Receiver
from otel_replay.store import open_store
from tests.builders import make_span
from tests.receiver.clients import call_grpc, post_http
from tests.receiver.conftest import grpc_port, http_port, loopback_config
from tests.receiver.stores import FailingStore

SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_record_per_kind_per_interval_then_the_count_of_those_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    log = RateLimitedLog(interval_seconds=60, clock=clock)
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    assert log.log(logging.ERROR, "a", "first a")
    assert not log.log(logging.ERROR, "a", "second a")
    assert log.log(logging.ERROR, "b", "first b")
    clock.now += 59
    assert not log.log(logging.ERROR, "a", "third a")
    clock.now += 1
    assert log.log(logging.ERROR, "a", "fourth a")
    assert [r.getMessage() for r in caplog.records] == [
        "first a",
        "first b",
        "fourth a (2 more like it in the last 60 s were not logged)",
    ]
    assert {r.name for r in caplog.records} == {LOGGER_NAME}


@pytest.fixture
def failing_receiver(tmp_path: Path) -> Iterator[Receiver]:
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    # What a bug looks like: an exception whose message quotes the data it choked on.
    store = FailingStore(inner, RuntimeError(f"cannot store attribute value {SECRET}"))
    receiver = Receiver(loopback_config(inner.url), store=store)  # type: ignore[arg-type]
    yield receiver
    receiver.stop()
    inner.close()


def test_an_unknown_error_is_permanent_on_both_transports_and_logged_once_without_secrets(
    failing_receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    body = spans_to_request([make_span(1, 1, attributes={"note": SECRET})]).SerializeToString()
    grpc_answer = call_grpc(grpc_port(failing_receiver), body)
    assert grpc_answer.code is grpc.StatusCode.INVALID_ARGUMENT
    assert "internal error" in grpc_answer.details
    http_answer = post_http(http_port(failing_receiver), body)
    assert http_answer.status == 400
    message = status_pb2.Status.FromString(http_answer.body).message
    assert message.startswith("internal error")
    for _ in range(3):
        assert call_grpc(grpc_port(failing_receiver), body).code is (
            grpc.StatusCode.INVALID_ARGUMENT
        )

    records = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert len(records) == 1  # five failures of one kind, one record
    assert records[0].levelno == logging.ERROR
    text = records[0].getMessage()
    assert "RuntimeError" in text
    assert "write" in text  # where it was raised
    assert SECRET not in text
    assert "cannot store" not in text  # the message may quote data: never logged
    assert SECRET not in grpc_answer.details + message
    assert failing_receiver.ingestor.counters["errors_internal"] == 5


def test_a_store_that_is_down_is_retryable_and_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    store = FailingStore(inner, StoreUnavailableError("disk I/O error"))
    receiver = Receiver(loopback_config(inner.url), store=store)  # type: ignore[arg-type]
    try:
        body = spans_to_request([make_span(1, 1)]).SerializeToString()
        assert call_grpc(grpc_port(receiver), body).code is grpc.StatusCode.UNAVAILABLE
        answer = post_http(http_port(receiver), body)
        assert answer.status == 503
        assert answer.headers["retry-after"] == "1"
    finally:
        receiver.stop()
        inner.close()
    warnings = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "unavailable" in warnings[0].getMessage()
