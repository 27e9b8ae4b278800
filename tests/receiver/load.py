"""Load clients for the process tests: each request is one trace, re-sent until acknowledged.

Re-sending an unacknowledged request is what exporters do, so a request committed just before
a crash (its answer lost) arrives twice: the store must keep it once.
"""

from __future__ import annotations

import http.client
import threading
import time

import grpc

from otel_replay.otlp.convert import spans_to_request
from tests.builders import make_span
from tests.receiver.clients import PROTOBUF, TRACES_METHOD
from tests.waiting import wait_until

SPANS_PER_REQUEST = 50
MAX_REQUESTS = 5_000
MAX_SECONDS = 60.0
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 200),
]


def trace_request(trace_number: int) -> bytes:
    """A request holding one trace: a root and SPANS_PER_REQUEST - 1 children."""
    spans = [make_span(trace_number, 1, name="root")]
    spans += [
        make_span(trace_number, i, 1, name=f"child-{i}") for i in range(2, SPANS_PER_REQUEST + 1)
    ]
    return spans_to_request(spans).SerializeToString()


def trace_id_of(trace_number: int) -> str:
    return f"{trace_number:032x}"


class LoadClient(threading.Thread):
    """Sends traces numbered from `first_trace` until stopped (bounded in count and time)."""

    def __init__(self, first_trace: int) -> None:
        super().__init__(daemon=True)
        self.acked: list[int] = []
        self.attempts = 0
        self.failures = 0
        self.stopping = threading.Event()
        self._next = first_trace

    def run(self) -> None:
        deadline = time.monotonic() + MAX_SECONDS
        body: bytes | None = None
        try:
            while (
                not self.stopping.is_set()
                and time.monotonic() < deadline
                and self.attempts < MAX_REQUESTS
            ):
                if body is None:
                    body = trace_request(self._next)
                self.attempts += 1
                if self.send(body):
                    self.acked.append(self._next)
                    self._next += 1
                    body = None
                else:
                    self.failures += 1
                    self.stopping.wait(0.05)
        finally:
            self.close()

    def send(self, body: bytes) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""

    def wait_for_acks(self, count: int, timeout: float) -> None:
        wait_until(lambda: len(self.acked) >= count, f"{count} requests are acknowledged", timeout)

    def finish(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        assert not self.is_alive()


class GrpcLoadClient(LoadClient):
    def __init__(self, port: int, first_trace: int) -> None:
        super().__init__(first_trace)
        self._target = f"127.0.0.1:{port}"
        self._channel: grpc.Channel | None = None

    def send(self, body: bytes) -> bool:
        if self._channel is None:
            self._channel = grpc.insecure_channel(self._target, options=_CHANNEL_OPTIONS)
        try:
            self._channel.unary_unary(
                TRACES_METHOD, request_serializer=None, response_deserializer=None
            )(body, timeout=5)
        except grpc.RpcError:
            self.close()  # a fresh channel reconnects at once when the server is back
            return False
        return True

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None


class HttpLoadClient(LoadClient):
    """Keeps one connection alive between requests, as the official HTTP exporter does."""

    def __init__(self, port: int, first_trace: int) -> None:
        super().__init__(first_trace)
        self._port = port
        self._connection: http.client.HTTPConnection | None = None

    def send(self, body: bytes) -> bool:
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=5)
        try:
            self._connection.request("POST", "/v1/traces", body, {"Content-Type": PROTOBUF})
            response = self._connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return False
        if response.will_close:
            self.close()
        return response.status == 200

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
