"""Receiver.stop(): stop accepting, finish the requests being handled, commit, then return."""

from __future__ import annotations

import http.client
import socket
import threading
from pathlib import Path

import grpc
import pytest
from google.rpc import status_pb2

from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import open_store
from tests.builders import make_span
from tests.receiver.clients import PROTOBUF, call_grpc
from tests.receiver.conftest import grpc_port, http_port, loopback_config
from tests.receiver.stores import HeldStore
from tests.waiting import wait_until

ANSWER_TIMEOUT = 10.0


def _body(trace: int) -> bytes:
    return spans_to_request([make_span(trace, 1), make_span(trace, 2, 1)]).SerializeToString()


def _stop_in_background(receiver: Receiver) -> threading.Thread:
    stopper = threading.Thread(target=receiver.stop, daemon=True)
    stopper.start()
    return stopper


def _refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # queued while the listening socket closed: ask again
        return False
    return False


def _refuses_grpc_calls(port: int) -> bool:
    # An empty request stores nothing: while the server still accepts calls, the probe is
    # answered OK without touching the store.
    return call_grpc(port, b"", timeout=2).code is grpc.StatusCode.UNAVAILABLE


def _stored_traces(url: str) -> list[str]:
    store = open_store(url)
    try:
        return [t.trace_id for t in store.list_traces()]
    finally:
        store.close()


def test_stop_waits_for_an_http_request_whose_body_is_still_arriving(sqlite_url: str) -> None:
    receiver = Receiver(loopback_config(sqlite_url))
    port = http_port(receiver)
    body = _body(7)
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT) as sock:
        head = (
            f"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {PROTOBUF}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head + body[:10])
        # The handler counts a request before it reads the body.
        wait_until(
            lambda: receiver.ingestor.counters["http_requests"] == 1, "the handler has the request"
        )
        stopper = _stop_in_background(receiver)
        wait_until(lambda: _refuses_connections(port), "the server stops accepting")
        assert stopper.is_alive()  # still waiting for the request in flight
        sock.sendall(body[10:])
        answer = sock.makefile("rb").readline()
    stopper.join(ANSWER_TIMEOUT)
    assert not stopper.is_alive()
    assert answer == b"HTTP/1.1 200 OK\r\n"
    assert _stored_traces(sqlite_url) == [f"{7:032x}"]


def test_after_stop_a_kept_alive_http_connection_is_told_to_retry(sqlite_url: str) -> None:
    receiver = Receiver(loopback_config(sqlite_url))
    connection = http.client.HTTPConnection(
        "127.0.0.1", http_port(receiver), timeout=ANSWER_TIMEOUT
    )
    try:
        connection.request("POST", "/v1/traces", _body(1), {"Content-Type": PROTOBUF})
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        receiver.stop()
        # The idle connection outlived the server; a request on it must not hang or be lost.
        try:
            connection.request("POST", "/v1/traces", _body(2), {"Content-Type": PROTOBUF})
            second = connection.getresponse()
            payload = second.read()
        except ConnectionError:
            pass  # closed: the exporter reconnects, and is refused until a server is back
        else:
            assert second.status == 503
            assert second.getheader("Retry-After") == "1"
            status = status_pb2.Status.FromString(payload)
            assert status.message == "receiver is shutting down"
    finally:
        connection.close()
    assert _stored_traces(sqlite_url) == [f"{1:032x}"]


def test_stop_waits_for_a_grpc_request_being_committed(tmp_path: Path) -> None:
    inner = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    held = HeldStore(inner)
    receiver = Receiver(loopback_config(inner.url), store=held)  # type: ignore[arg-type]
    port = grpc_port(receiver)
    answers = []
    sender = threading.Thread(target=lambda: answers.append(call_grpc(port, _body(3))), daemon=True)
    try:
        sender.start()
        assert held.writing.wait(ANSWER_TIMEOUT)
        stopper = _stop_in_background(receiver)
        wait_until(lambda: _refuses_grpc_calls(port), "the server stops accepting calls")
        assert stopper.is_alive()  # still waiting for the request being committed
        held.released.set()
        stopper.join(ANSWER_TIMEOUT)
        assert not stopper.is_alive()
        sender.join(ANSWER_TIMEOUT)
        (answer,) = answers
        assert answer.code is grpc.StatusCode.OK
        assert [t.trace_id for t in inner.list_traces()] == [f"{3:032x}"]
    finally:
        held.released.set()  # a failed assertion above must not leave the writer stuck
        inner.close()


def test_after_stop_nothing_is_accepted(sqlite_url: str) -> None:
    receiver = Receiver(loopback_config(sqlite_url))
    ports = grpc_port(receiver), http_port(receiver)
    receiver.stop()
    assert call_grpc(ports[0], _body(5), timeout=2).code is grpc.StatusCode.UNAVAILABLE
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", ports[1]), timeout=2).close()
    assert _stored_traces(sqlite_url) == []
