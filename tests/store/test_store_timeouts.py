"""A PostgreSQL store that stops answering (a lock held elsewhere, a statement that never ends,
a frozen backend) fails writes as unavailable within its timeouts instead of hanging them; over
OTLP that is a retryable answer."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator

import grpc
import psycopg
import pytest

from otel_replay.core.errors import StoreUnavailableError
from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.store.dialect import StoreTimeouts
from tests.builders import batch_of, make_span
from tests.receiver.clients import call_grpc, post_http
from tests.receiver.conftest import grpc_port, http_port, loopback_config
from tests.reliability.cycles import backend_pids

SHORT = StoreTimeouts(lock_seconds=0.5, statement_seconds=1.0, transaction_seconds=2.0)
# Bounds a write that would hang without the timeouts, so that the test fails, not stalls.
HANG_BOUND = 60.0


@pytest.fixture
def short_store(postgres_url: str) -> Iterator[SqlSpanStore]:
    opened = open_store(postgres_url, SHORT)
    yield opened
    opened.close()


def _outcome(action: Callable[[], object]) -> BaseException | None:
    """Run `action` in a thread; the exception it raised, or None. Fails if it hangs."""
    caught: list[BaseException | None] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:
            caught.append(exc)
        else:
            caught.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_BOUND)
    assert caught, f"still blocked after {HANG_BOUND} s"
    return caught[0]


def _write(store: SqlSpanStore, trace: int) -> Callable[[], None]:
    return lambda: store.write([batch_of(make_span(trace, 1))])


def test_a_lock_held_by_another_connection_fails_the_write_as_unavailable(
    short_store: SqlSpanStore, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as other:
        other.execute("LOCK TABLE traces IN ACCESS EXCLUSIVE MODE")
        assert isinstance(_outcome(_write(short_store, 1)), StoreUnavailableError)
    assert _outcome(_write(short_store, 2)) is None  # the lock is gone: writes go through
    assert short_store.counts().spans == 1


def test_a_statement_that_never_ends_fails_the_write_as_unavailable(
    short_store: SqlSpanStore, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(600); RETURN NEW; END $$"
        )
        admin.execute("CREATE TRIGGER stall BEFORE INSERT ON spans EXECUTE FUNCTION stall()")
    assert isinstance(_outcome(_write(short_store, 1)), StoreUnavailableError)
    assert short_store.counts().spans == 0


def _backend_pid(postgres_url: str) -> int:
    (pid,) = backend_pids(postgres_url)
    return pid


def test_a_frozen_backend_fails_the_write_as_unavailable_and_the_store_reconnects(
    short_store: SqlSpanStore, postgres_url: str
) -> None:
    pid = _backend_pid(postgres_url)
    os.kill(pid, signal.SIGSTOP)  # the server process of the store's connection stops answering
    try:
        assert isinstance(_outcome(_write(short_store, 1)), StoreUnavailableError)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert _outcome(_write(short_store, 2)) is None  # on a new connection
    assert short_store.counts().spans == 1


def test_a_stuck_store_is_answered_retryable_over_grpc_and_http(
    short_store: SqlSpanStore, postgres_url: str
) -> None:
    receiver = Receiver(loopback_config(postgres_url), store=short_store)
    body = spans_to_request([make_span(1, 1)]).SerializeToString()
    try:
        with psycopg.connect(postgres_url) as other:
            other.execute("LOCK TABLE traces IN ACCESS EXCLUSIVE MODE")
            answer = call_grpc(grpc_port(receiver), body, timeout=HANG_BOUND)
            assert answer.code is grpc.StatusCode.UNAVAILABLE
            http_answer = post_http(http_port(receiver), body, timeout=HANG_BOUND)
            assert http_answer.status == 503
            assert http_answer.headers.get("retry-after") == "1"
        assert call_grpc(grpc_port(receiver), body).code is grpc.StatusCode.OK
        assert receiver.ingestor.counters["errors_store_unavailable"] == 2
    finally:
        receiver.stop()
