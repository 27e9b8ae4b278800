"""OTLP/HTTP against clients that stall, linger, flood or send too much.

Each test reproduces a measured fault: a TLS client that never handshakes blocked every HTTPS
request and stop(); stalled uploads held a thread each, for ever; a body over the limit was
answered unread, so the client saw a broken pipe instead of the 413.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.rpc import status_pb2

from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.http_connections import CONNECTION_THREAD_NAME, ConnectionLimits
from otel_replay.receiver.serve import Receiver
from otel_replay.store import open_store
from tests.builders import make_span
from tests.receiver.clients import PROTOBUF, post_http
from tests.receiver.conftest import http_port, loopback_config
from tests.receiver.stores import HeldStore
from tests.receiver.tls import Certificate, make_certificate
from tests.waiting import wait_until

SHORT = 0.2  # seconds: timeouts the tests wait out (waiting for the event, never timing it)
CLIENT_TIMEOUT = 20.0


def _body(trace: int = 1) -> bytes:
    return spans_to_request([make_span(trace, 1)]).SerializeToString()


def _closed_by_server(sock: socket.socket) -> bool:
    """Read until the server closes the connection (b'' or a reset); False if it never does."""
    sock.settimeout(CLIENT_TIMEOUT)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return make_certificate(tmp_path)


@pytest.fixture
def tls_receiver(sqlite_url: str, certificate: Certificate) -> Iterator[Receiver]:
    config = loopback_config(
        sqlite_url,
        grpc=None,
        tls_files=(str(certificate.cert_file), str(certificate.key_file)),
        limits=ConnectionLimits(read_seconds=SHORT),
    )
    running = Receiver(config)
    yield running
    running.stop()


def _https_post(port: int, certificate: Certificate, body: bytes) -> int:
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=CLIENT_TIMEOUT, context=certificate.client_context()
    )
    try:
        connection.request("POST", "/v1/traces", body, {"Content-Type": PROTOBUF})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_tls_client_that_never_handshakes_blocks_neither_requests_nor_stop(
    sqlite_url: str, certificate: Certificate
) -> None:
    config = loopback_config(
        sqlite_url,
        grpc=None,
        tls_files=(str(certificate.cert_file), str(certificate.key_file)),
        limits=ConnectionLimits(read_seconds=CLIENT_TIMEOUT * 3),  # it stays for the whole test
    )
    receiver = Receiver(config)
    port = http_port(receiver)
    stopping = threading.Thread(target=receiver.stop, daemon=True)
    try:
        with socket.create_connection(("127.0.0.1", port)):  # connects, never says hello
            assert _https_post(port, certificate, _body()) == 200
            stopping.start()
            stopping.join(CLIENT_TIMEOUT)
            assert not stopping.is_alive(), "stop() waits for a client that never handshakes"
    finally:
        if not stopping.is_alive() and not stopping.ident:
            receiver.stop()
    store = open_store(sqlite_url)
    try:
        assert store.counts().spans == 1
    finally:
        store.close()


def test_a_stalled_tls_handshake_is_closed_after_the_read_timeout(
    tls_receiver: Receiver, certificate: Certificate
) -> None:
    port = http_port(tls_receiver)
    with socket.create_connection(("127.0.0.1", port)) as stalled:
        assert _closed_by_server(stalled)
    wait_until(
        lambda: tls_receiver.ingestor.counters["tls_handshakes_failed"] == 1,
        "the handshake is counted as failed",
    )
    assert _https_post(port, certificate, _body()) == 200


@pytest.fixture
def quick_receiver(sqlite_url: str) -> Iterator[Receiver]:
    config = loopback_config(
        sqlite_url, grpc=None, limits=ConnectionLimits(read_seconds=SHORT, idle_seconds=SHORT)
    )
    running = Receiver(config)
    yield running
    running.stop()


def test_a_stalled_upload_is_closed_after_the_read_timeout(quick_receiver: Receiver) -> None:
    with socket.create_connection(("127.0.0.1", http_port(quick_receiver))) as stalled:
        stalled.sendall(
            b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            b"Content-Length: 1000\r\n\r\n0123456789"
        )
        assert _closed_by_server(stalled)
    wait_until(
        lambda: quick_receiver.ingestor.counters["http_clients_gone"] == 1,
        "the stalled upload is counted",
    )
    assert quick_receiver.ingestor.counters["spans_accepted"] == 0


def test_a_connection_that_never_sends_a_request_is_closed(quick_receiver: Receiver) -> None:
    with socket.create_connection(("127.0.0.1", http_port(quick_receiver))) as silent:
        assert _closed_by_server(silent)


def test_an_idle_kept_alive_connection_is_closed_after_the_idle_timeout(
    quick_receiver: Receiver,
) -> None:
    connection = http.client.HTTPConnection(
        "127.0.0.1", http_port(quick_receiver), timeout=CLIENT_TIMEOUT
    )
    try:
        connection.request("POST", "/v1/traces", _body(), {"Content-Type": PROTOBUF})
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert response.getheader("Connection", "keep-alive").lower() != "close"
        assert connection.sock is not None
        assert _closed_by_server(connection.sock)
    finally:
        connection.close()


def _connection_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == CONNECTION_THREAD_NAME)


def test_connections_over_the_limit_wait_without_a_thread_and_get_in_later(
    sqlite_url: str,
) -> None:
    limit = 3
    config = loopback_config(
        sqlite_url,
        grpc=None,
        limits=ConnectionLimits(read_seconds=CLIENT_TIMEOUT * 3, max_connections=limit),
    )
    receiver = Receiver(config)
    port = http_port(receiver)
    threads_before = _connection_threads()
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    try:
        server = receiver._http
        assert server is not None
        wait_until(lambda: server.connections == limit, "the limit is reached")
        assert _connection_threads() - threads_before <= limit
        answers: list[int] = []
        sender = threading.Thread(target=lambda: answers.append(post_http(port, _body()).status))
        sender.start()
        assert server.connections == limit  # the new client waits in the backlog
        for sock in stalled:
            sock.close()
        sender.join(CLIENT_TIMEOUT)
        assert answers == [200]
    finally:
        for sock in stalled:
            sock.close()
        receiver.stop()


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "GET", "TRACE"])
def test_other_methods_are_405_with_allow_post(quick_receiver: Receiver, method: str) -> None:
    answer = post_http(http_port(quick_receiver), b"", method=method)
    assert answer.status == 405
    assert answer.headers["allow"] == "POST"
    if method != "HEAD":
        assert status_pb2.Status.FromString(answer.body).message == (
            f"method {method} not allowed: use POST"
        )


LIMIT = 1024 * 1024
OVERSIZED = 24 * LIMIT  # more than loopback socket buffers hold, so it must be read away


@pytest.fixture
def small_limit_receiver(sqlite_url: str) -> Iterator[Receiver]:
    running = Receiver(loopback_config(sqlite_url, grpc=None, max_request_bytes=LIMIT))
    yield running
    running.stop()


def _post_large(port: int, body: bytes, chunked: bool) -> tuple[int, str, bytes]:
    """What urllib or requests do: send the whole body, then read the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        headers = {"Content-Type": PROTOBUF}
        if chunked:
            pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
            connection.request("POST", "/v1/traces", pieces, headers, encode_chunked=True)
        else:
            connection.request("POST", "/v1/traces", body, headers)
        response = connection.getresponse()
        return response.status, response.getheader("Connection", ""), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content_length", "chunked"])
def test_a_plain_client_sending_a_body_over_the_limit_reads_the_413(
    small_limit_receiver: Receiver, chunked: bool
) -> None:
    status, connection, body = _post_large(
        http_port(small_limit_receiver), b"\x00" * OVERSIZED, chunked
    )
    assert status == 413
    assert connection == "close"
    assert "exceeds the limit" in status_pb2.Status.FromString(body).message
    # The receiver is still there for the next request.
    assert post_http(http_port(small_limit_receiver), _body()).status == 200


def test_a_busy_receiver_refuses_a_body_before_reading_or_decoding_it(tmp_path: Path) -> None:
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    held = HeldStore(inner)
    config = loopback_config(inner.url, grpc=None, max_inflight_bytes=4096)
    receiver = Receiver(config, store=held)  # type: ignore[arg-type]
    port = http_port(receiver)
    try:
        first: list[int] = []
        sending = threading.Thread(target=lambda: first.append(post_http(port, _body(1)).status))
        sending.start()
        assert held.writing.wait(CLIENT_TIMEOUT)  # the first request is in flight
        # Not even protobuf: decoding it would answer 400; the budget answers first, and
        # the client, which sends everything before reading, still reads the 503.
        answer = post_http(port, b"\xff" * (OVERSIZED // 4), timeout=CLIENT_TIMEOUT)
        assert answer.status == 503
        assert answer.headers["retry-after"] == "1"
        assert "busy" in status_pb2.Status.FromString(answer.body).message
        held.released.set()
        sending.join(CLIENT_TIMEOUT)
        assert first == [200]
        assert receiver.ingestor.counters["errors_overloaded"] == 1
        assert receiver.ingestor.counters["errors_bad_input"] == 0
        assert post_http(port, _body(2)).status == 200
    finally:
        held.released.set()
        receiver.stop()
        inner.close()
    assert receiver.ingestor.budget.in_flight == 0


def test_cycles_of_stalled_uploads_leave_the_receiver_serving_with_bounded_threads(
    sqlite_url: str,
) -> None:
    limit, stalled_per_cycle, cycles = 4, 12, 3
    config = loopback_config(
        sqlite_url,
        grpc=None,
        limits=ConnectionLimits(read_seconds=SHORT, max_connections=limit),
    )
    receiver = Receiver(config)
    port = http_port(receiver)
    threads_before = _connection_threads()
    most_threads = 0
    try:
        for cycle in range(cycles):
            stalled = [
                socket.create_connection(("127.0.0.1", port)) for _ in range(stalled_per_cycle)
            ]
            try:
                for sock in stalled:
                    sock.sendall(
                        b"POST /v1/traces HTTP/1.1\r\nContent-Type: application/x-protobuf\r\n"
                        b"Content-Length: 100000\r\n\r\npartial"
                    )
                most_threads = max(most_threads, _connection_threads() - threads_before)
                # Every stalled upload is dropped at its read timeout, `limit` at a time.
                assert all(_closed_by_server(sock) for sock in stalled)
            finally:
                for sock in stalled:
                    sock.close()
            assert post_http(port, _body(cycle + 1)).status == 200
        most_threads = max(most_threads, _connection_threads() - threads_before)
        assert most_threads <= limit
        wait_until(
            lambda: receiver.ingestor.counters["http_clients_gone"] == cycles * stalled_per_cycle,
            "every stalled upload is counted",
        )
        assert receiver.ingestor.counters["spans_accepted"] == cycles
    finally:
        receiver.stop()


def _expect_continue(port: int, body: bytes) -> tuple[bytes, bytes]:
    """Send headers with `Expect: 100-continue`; send the body only if told to continue.
    Returns the first answer line and the final answer's status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(
            b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        reader = sock.makefile("rb")
        first = reader.readline()
        if b" 100 " in first:
            reader.readline()  # the blank line ending the interim answer
            sock.sendall(body)
            return first, reader.readline()
        return first, first


def test_expect_100_continue_is_answered_once_the_request_is_admitted(
    small_limit_receiver: Receiver,
) -> None:
    port = http_port(small_limit_receiver)
    first, final = _expect_continue(port, _body())
    assert first.startswith(b"HTTP/1.1 100")
    assert final.startswith(b"HTTP/1.1 200")
    # Over the limit: the final answer comes at once and the body is never sent.
    first, final = _expect_continue(port, b"\x00" * (LIMIT + 1))
    assert first.startswith(b"HTTP/1.1 413")
