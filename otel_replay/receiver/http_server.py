"""OTLP/HTTP: POST /v1/traces, /v1/logs and /v1/metrics (protobuf or JSON, gzip, chunked).

Everything that can refuse a request (route, token, content type, size, the bytes-in-flight
budget) is decided from the headers, before the body is read. A refusal then reads and
discards the body (bounded) before closing: clients send the whole body before they read
the answer, and closing on an unread body would reset the connection under the answer.
"""

from __future__ import annotations

import hmac
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from google.rpc import status_pb2

from otel_replay.calls.signatures import WebhookSecrets
from otel_replay.core.errors import BadInputError, PayloadTooLargeError, UnsupportedMediaTypeError
from otel_replay.otlp.decode import (
    Encoding,
    decode_content,
    encode_message,
    encoding_from_content_type,
)
from otel_replay.receiver.admission import Ticket
from otel_replay.receiver.http_connections import ConnectionLimits, HttpFallback, OtlpHttpServer
from otel_replay.receiver.ingest import ExportResult, Ingestor
from otel_replay.receiver.responses import Signal, build_export_response
from otel_replay.receiver.status import ANSWERS, ErrorKind
from otel_replay.receiver.webhooks import WEBHOOK_PATHS, WebhookAnswer, answer_webhook

_READ_CHUNK = 1 << 16
# An answer given before the body was read is followed by reading and discarding the body,
# for at most the read timeout and this many bytes; past either the connection is closed as
# it stands (and the client may see a reset instead of the answer).
_MAX_DISCARDED_BYTES = 1 << 30


def _encoding_or_protobuf(content_type: str) -> Encoding:
    try:
        return encoding_from_content_type(content_type)
    except UnsupportedMediaTypeError:
        return Encoding.PROTOBUF


class _HttpError(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _ClientGone(Exception):
    """The client stalled past the read timeout or dropped the connection: nobody to answer."""


class _OtlpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OtlpHttpServer
    server_version = "otel-replay"
    sys_version = ""
    _requests_on_connection = 0
    _deadline = 0.0
    # Bytes of the current request's body not read yet: None while unknown (chunked).
    _body_left: int | None = 0

    def log_message(self, format: str, *args: Any) -> None:
        """No log line per request: the receiver counts instead."""

    def setup(self) -> None:
        super().setup()
        self._limits: ConnectionLimits = self.server.limits

    def handle_one_request(self) -> None:
        # A new connection has `read_seconds` to send its request line, a kept-alive one
        # `idle_seconds`; http.server closes the connection when the wait times out.
        first = self._requests_on_connection == 0
        self.connection.settimeout(
            self._limits.read_seconds if first else self._limits.idle_seconds
        )
        self._requests_on_connection += 1
        super().handle_one_request()

    def parse_request(self) -> bool:
        # From the request line on, the whole request must arrive within `read_seconds`.
        self._deadline = time.monotonic() + self._limits.read_seconds
        self._body_left = 0
        self.connection.settimeout(self._limits.read_seconds)
        return super().parse_request()

    def handle_expect_100(self) -> bool:
        """`100 Continue` is sent only once the request is admitted (see _export)."""
        return True

    def _routes(self) -> dict[str, tuple[Signal, Callable[[bytes, Encoding], ExportResult]]]:
        ingestor = self.server.ingestor
        return {
            "/v1/traces": (Signal.TRACES, ingestor.consume_traces),
            "/v1/logs": (Signal.LOGS, ingestor.consume_logs),
            "/v1/metrics": (Signal.METRICS, ingestor.consume_metrics),
        }

    def do_POST(self) -> None:
        with self.server.handling():
            try:
                if self.path.split("?", 1)[0] in WEBHOOK_PATHS:
                    self._webhook(WEBHOOK_PATHS[self.path.split("?", 1)[0]])
                    return
                if self.server.fallback and self.path.split("?", 1)[0] not in self._routes():
                    self._serve_fallback(self.server.fallback)
                    return
                self._export()
            except _ClientGone:
                self.server.ingestor.count("http_clients_gone")
                self.close_connection = True

    def _export(self) -> None:
        ingestor = self.server.ingestor
        ingestor.count("http_requests")
        path = self.path.split("?", 1)[0]
        content_type = self.headers.get("Content-Type", "")
        # Every error body is a google.rpc.Status in the request's encoding (404 and 401
        # included); protobuf when the content type is not one of ours.
        encoding = _encoding_or_protobuf(content_type)
        try:
            length = self._body_length()
            route = self._routes().get(path)
            if route is None:
                raise _HttpError(
                    ErrorKind.NOT_FOUND,
                    f"no OTLP endpoint at {path}: use /v1/traces, /v1/logs or /v1/metrics",
                )
            signal, consume = route
            self._check_auth()
            encoding_from_content_type(content_type)  # 415 for any other content type
            limit = self.server.max_request_bytes
            if length is not None and length > limit:
                raise PayloadTooLargeError(
                    f"request of {length} bytes exceeds the limit of {limit} bytes"
                )
            with ingestor.budget.admit(length or 0) as ticket:
                if self.headers.get("Expect", "").lower() == "100-continue":
                    self.send_response_only(100)
                    self.end_headers()
                raw = self._read_body(length, ticket)
                body = decode_content(raw, self.headers.get("Content-Encoding", ""), limit)
                del raw
                ticket.grow(len(body))
                result = consume(body, encoding)
        except _ClientGone:
            raise
        except _HttpError as exc:
            ingestor.count(f"errors_{exc.kind}")
            self._send_error(exc.kind, str(exc), encoding)
            return
        except Exception as exc:
            kind = ingestor.fail(exc, f"OTLP/HTTP {path}")
            message = str(exc) if kind is not ErrorKind.INTERNAL else _INTERNAL_MESSAGE
            self._send_error(kind, message, encoding)
            return
        response = build_export_response(signal, result)
        self._send(200, encode_message(response, encoding), encoding)

    def _webhook(self, platform: str) -> None:
        """A Vapi or Retell webhook (receiver/webhooks.py); errors go through ANSWERS."""
        ingestor = self.server.ingestor
        try:
            length = self._body_length()
            limit = self.server.max_request_bytes
            if length is not None and length > limit:
                raise PayloadTooLargeError(f"request of {length} bytes exceeds {limit} bytes")
            with ingestor.budget.admit(length or 0) as ticket:
                raw = self._read_body(length, ticket)
                body = decode_content(raw, self.headers.get("Content-Encoding", ""), limit)
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = answer_webhook(
                    platform,
                    headers,
                    bytes(body),
                    ingestor,
                    self.server.webhook_secrets,
                    self.server.auth_token,
                )
        except _ClientGone:
            raise
        except Exception as exc:
            kind = ingestor.fail(exc, f"webhook {platform}")
            message = str(exc) if kind is not ErrorKind.INTERNAL else _INTERNAL_MESSAGE
            answer = WebhookAnswer(ANSWERS[kind].http_status, {"error": message})
            if answer.status >= 400 and self._body_left != 0:
                self.close_connection = True
                self._discard_unread_body()
        self._send(answer.status, answer.encoded(), Encoding.JSON)

    def _serve_fallback(self, fallback: HttpFallback) -> None:
        """A request that is no OTLP export, answered by the fallback (the web UI)."""
        length = self._body_length() or 0
        if length > self.server.max_request_bytes:
            raise _ClientGone("request too large for the UI")
        body = bytes(self._read_exact(length)) if length else b""
        status, headers, payload = fallback(
            self.command, self.path, list(self.headers.items()), body
        )
        self.send_response(status)
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()

    def _not_allowed(self) -> None:
        fallback = self.server.fallback
        path = self.path.split("?", 1)[0]
        ours = path in self._routes() or path in WEBHOOK_PATHS
        if fallback is not None and self.command in ("GET", "HEAD") and not ours:
            with self.server.handling():
                try:
                    self._serve_fallback(fallback)
                except _ClientGone:
                    self.close_connection = True
            return
        self.server.ingestor.count(f"errors_{ErrorKind.METHOD_NOT_ALLOWED}")
        try:
            self._body_left = self._body_length()
        except BadInputError:
            self._body_left = None
        self._send_error(
            ErrorKind.METHOD_NOT_ALLOWED,
            f"method {self.command} not allowed: use POST",
            Encoding.PROTOBUF,
        )

    do_GET = do_HEAD = do_OPTIONS = do_PUT = do_DELETE = do_PATCH = _not_allowed
    do_TRACE = do_CONNECT = _not_allowed

    def _check_auth(self) -> None:
        token = self.server.auth_token
        if token is None:
            return
        given = self.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {token}".encode()):
            raise _HttpError(ErrorKind.UNAUTHENTICATED, "missing or wrong bearer token")

    def _body_length(self) -> int | None:
        """The Content-Length, 0 without one, None for a chunked body; records it as unread."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._body_left = None
            return None
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self._body_left = 0
            return 0
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if length < 0:
            # Where the body ends is unknown: nothing more can be read on this connection.
            self._body_left = None
            raise BadInputError(f"invalid Content-Length {length_header!r}")
        self._body_left = length
        return length

    def _wait_budget(self) -> None:
        """Arm the socket with what is left of the request's read time."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _ClientGone("request not received within the read timeout")
        self.connection.settimeout(left)

    def _read_some(self, size: int) -> bytes:
        self._wait_budget()
        try:
            return self.rfile.read1(size)
        except (TimeoutError, OSError) as exc:
            raise _ClientGone(str(exc)) from None

    def _read_exact(self, size: int) -> bytes:
        # Into one buffer: joining parts would hold the body twice, for a moment.
        body = bytearray(size)
        view = memoryview(body)
        done = 0
        while done < size:
            self._wait_budget()
            try:
                read = self.rfile.readinto1(view[done : done + _READ_CHUNK])
            except (TimeoutError, OSError) as exc:
                raise _ClientGone(str(exc)) from None
            if not read:
                raise _ClientGone("request body shorter than its Content-Length")
            done += read
            if self._body_left is not None:
                self._body_left -= read
        view.release()
        # The decoders take any bytes-like object: no copy into `bytes`.
        return body  # type: ignore[return-value]

    def _read_line(self) -> bytes:
        self._wait_budget()
        try:
            return self.rfile.readline(1024)
        except (TimeoutError, OSError) as exc:
            raise _ClientGone(str(exc)) from None

    def _read_body(self, length: int | None, ticket: Ticket) -> bytes:
        if length is None:
            return self._read_chunked(self.server.max_request_bytes, ticket)
        return self._read_exact(length)

    def _read_chunked(self, limit: int, ticket: Ticket) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self._read_line()
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadInputError("malformed chunked body") from None
            if size == 0:
                while self._read_line().strip():  # trailers
                    pass
                self._body_left = 0
                return b"".join(parts)
            total += size
            if total > limit:
                raise PayloadTooLargeError(f"request exceeds the limit of {limit} bytes")
            ticket.grow(total)  # a chunked body is admitted as it arrives
            parts.append(self._read_exact(size))
            self._read_line()

    def _discard_unread_body(self) -> None:
        """Read the rest of a body that will not be used, bounded in bytes and time."""
        left = self._body_left
        if left == 0:
            return
        budget = _MAX_DISCARDED_BYTES
        self._deadline = time.monotonic() + self._limits.read_seconds
        try:
            if left is None:
                # Where the body ends is unknown: tell the client we are done, read to EOF.
                if not isinstance(self.connection, ssl.SSLSocket):
                    self.connection.shutdown(socket.SHUT_WR)
                while budget > 0 and (chunk := self._read_some(min(budget, _READ_CHUNK))):
                    budget -= len(chunk)
            elif left <= budget:
                while left > 0 and (chunk := self._read_some(min(left, _READ_CHUNK))):
                    left -= len(chunk)
        except (_ClientGone, OSError):
            pass  # the client went away: nothing left to protect
        self._body_left = 0

    def _send_error(self, kind: ErrorKind, message: str, encoding: Encoding) -> None:
        answer = ANSWERS[kind]
        status = status_pb2.Status(code=answer.grpc_code.value[0], message=message)
        headers = {}
        if answer.retry_after_seconds is not None:
            headers["Retry-After"] = str(answer.retry_after_seconds)
        if kind is ErrorKind.METHOD_NOT_ALLOWED:
            headers["Allow"] = "POST"
        # The body may be unread (too large, unauthenticated, busy): do not reuse the
        # connection, and read the body away before closing it.
        self.close_connection = True
        headers["Connection"] = "close"
        try:
            self._send(answer.http_status, encode_message(status, encoding), encoding, headers)
        except OSError:
            return
        self._discard_unread_body()

    def _send(
        self, code: int, payload: bytes, encoding: Encoding, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", encoding.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has no body
            self.wfile.write(payload)
        self.wfile.flush()


_INTERNAL_MESSAGE = "internal error: the request was dropped (the receiver logged why)"


def start_http_server(
    ingestor: Ingestor,
    host: str,
    port: int,
    *,
    max_request_bytes: int,
    auth_token: str | None = None,
    tls_files: tuple[str, str] | None = None,
    limits: ConnectionLimits | None = None,
    fallback: HttpFallback | None = None,
    webhook_secrets: WebhookSecrets | None = None,
) -> tuple[OtlpHttpServer, int, threading.Thread]:
    """Start the HTTP server in a thread; returns it, the bound port and the thread."""
    tls_context = None
    if tls_files is not None:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(tls_files[0], tls_files[1])
    try:
        server = OtlpHttpServer(
            (host, port), _OtlpHandler, limits=limits or ConnectionLimits(), tls_context=tls_context
        )
    except OSError as exc:
        raise BadInputError(
            f"cannot listen for OTLP/HTTP on {host}:{port}: {exc.strerror}"
        ) from exc
    server.ingestor = ingestor
    server.max_request_bytes = max_request_bytes
    server.auth_token = auth_token
    server.fallback = fallback
    server.webhook_secrets = webhook_secrets or WebhookSecrets()
    thread = threading.Thread(target=server.serve_forever, name="otel-replay-http", daemon=True)
    thread.start()
    return server, server.server_address[1], thread


def stop_http_server(server: OtlpHttpServer, grace_seconds: float) -> None:
    """Stop accepting connections, then wait (up to the grace period) for requests in flight."""
    server.begin_stop()
    server.shutdown()
    server.server_close()
    server.wait_idle(grace_seconds)
