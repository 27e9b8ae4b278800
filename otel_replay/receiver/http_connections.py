"""The OTLP/HTTP server's connections: a bounded number, each in its own thread, with TLS
negotiated in that thread and every wait on the client bounded by a timeout.

The accept loop only accepts: a client that opens a TCP connection and never starts the TLS
handshake (or never sends a request) holds its own thread until its timeout, and nobody else.
Past `max_connections`, new connections wait in the listen backlog until one ends (as Go's
`netutil.LimitListener` does), so stalled clients cannot multiply threads.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from otel_replay.calls.signatures import WebhookSecrets
from otel_replay.receiver.ingest import Ingestor

CONNECTION_THREAD_NAME = "otel-replay-http-connection"
_SLOT_POLL_SECONDS = 0.1  # how soon a stopping server notices while every slot is taken


# Serves the requests that are not OTLP exports (the web UI of `serve --ui`):
# (method, target, headers, body) -> (status, headers, body).
HttpFallback = Callable[
    [str, str, list[tuple[str, str]], bytes], tuple[int, list[tuple[str, str]], bytes]
]


@dataclass(frozen=True)
class ConnectionLimits:
    """Bounds on what clients can hold, per transport.

    read_seconds: (HTTP) to read a request's headers and body (from its request line on),
        and to complete the TLS handshake of a new connection;
    idle_seconds: a kept-alive connection waiting for its next request (HTTP), a gRPC
        connection with no call (it is then closed; clients reconnect);
    max_connections: connections served at once on each transport (an HTTP connection holds
        a thread; gRPC closes connections over it as they arrive).
    """

    read_seconds: float = 10.0
    idle_seconds: float = 30.0
    max_connections: int = 64


class OtlpHttpServer(ThreadingHTTPServer):
    """The HTTP server; counts the requests being handled so that stopping can wait for them.

    Connection threads are daemons, which server_close() does not join (an idle keep-alive
    connection would hold it until its timeout): `stop_http_server` waits for requests instead.
    """

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the listen backlog, where connections over the limit wait
    ingestor: Ingestor
    max_request_bytes: int
    auth_token: str | None
    fallback: HttpFallback | None = None
    webhook_secrets: WebhookSecrets

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        limits: ConnectionLimits,
        tls_context: ssl.SSLContext | None,
    ) -> None:
        super().__init__(address, handler)
        self.limits = limits
        self.tls_context = tls_context
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self._stopping = threading.Event()
        self._handling = 0
        self.connections = 0
        self._state = threading.Condition()

    def get_request(self) -> tuple[Any, Any]:
        while not self._slots.acquire(timeout=_SLOT_POLL_SECONDS):
            if self._stopping.is_set():
                raise OSError("server is stopping")
        try:
            accepted = super().get_request()
        except BaseException:
            self._slots.release()
            raise
        with self._state:
            self.connections += 1
        return accepted

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=CONNECTION_THREAD_NAME,
            daemon=True,
        )
        thread.start()

    def finish_request(self, request: Any, client_address: Any) -> None:
        connection: socket.socket = request
        if self.tls_context is not None:
            # In this connection's thread, never in the accept loop, and bounded in time.
            request.settimeout(self.limits.read_seconds)
            try:
                connection = self.tls_context.wrap_socket(request, server_side=True)
            except (OSError, ValueError):
                self.ingestor.count("tls_handshakes_failed")
                return
        try:
            super().finish_request(connection, client_address)
        finally:
            if connection is not request:
                connection.close()

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            with self._state:
                self.connections -= 1
                self._state.notify_all()
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """An error no handler caught: logged (rate-limited), never printed to stderr."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            self.ingestor.error_log.log_exception(exc, "OTLP/HTTP connection")

    @contextmanager
    def handling(self) -> Iterator[None]:
        """Count one request as in flight while the block runs."""
        with self._state:
            self._handling += 1
        try:
            yield
        finally:
            with self._state:
                self._handling -= 1
                self._state.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._state:
            return self._state.wait_for(lambda: self._handling == 0, timeout)

    def begin_stop(self) -> None:
        """Stop waiting for a connection slot, so that the accept loop can end."""
        self._stopping.set()
