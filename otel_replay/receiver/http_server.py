"""OTLP/HTTP: POST /v1/traces and /v1/logs (protobuf or JSON, gzip, chunked) into the Ingestor."""

from __future__ import annotations

import hmac
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.rpc import status_pb2

from otel_replay.core.errors import BadInputError, PayloadTooLargeError, UnsupportedMediaTypeError
from otel_replay.otlp.decode import (
    Encoding,
    decode_content,
    encode_message,
    encoding_from_content_type,
)
from otel_replay.receiver.ingest import ExportResult, Ingestor
from otel_replay.receiver.responses import Signal, build_export_response
from otel_replay.receiver.status import ANSWERS, ErrorKind, classify_error

_READ_CHUNK = 1 << 16


def _encoding_or_protobuf(content_type: str) -> Encoding:
    try:
        return encoding_from_content_type(content_type)
    except UnsupportedMediaTypeError:
        return Encoding.PROTOBUF


class _HttpError(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class OtlpHttpServer(ThreadingHTTPServer):
    """The HTTP server; counts the requests being handled so that stopping can wait for them.

    Handler threads are daemons, which server_close() does not join (an idle keep-alive
    connection would hold it forever): `stop_http_server` waits for requests instead.
    """

    daemon_threads = True
    block_on_close = False
    ingestor: Ingestor
    max_request_bytes: int
    auth_token: str | None

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _OtlpHandler)
        self._handling = 0
        self._idle = threading.Condition()

    @contextmanager
    def handling(self) -> Iterator[None]:
        """Count one request as in flight while the block runs."""
        with self._idle:
            self._handling += 1
        try:
            yield
        finally:
            with self._idle:
                self._handling -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._handling == 0, timeout)


class _OtlpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OtlpHttpServer
    server_version = "otel-replay"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """No log line per request: the receiver counts instead."""

    def _routes(self) -> dict[str, tuple[Signal, Callable[[bytes, Encoding], ExportResult]]]:
        ingestor = self.server.ingestor
        return {
            "/v1/traces": (Signal.TRACES, ingestor.consume_traces),
            "/v1/logs": (Signal.LOGS, ingestor.consume_logs),
        }

    def do_POST(self) -> None:
        with self.server.handling():
            self._export()

    def _export(self) -> None:
        ingestor = self.server.ingestor
        ingestor.count("http_requests")
        path = self.path.split("?", 1)[0]
        content_type = self.headers.get("Content-Type", "")
        # Every error body is a google.rpc.Status in the request's encoding (404 and 401
        # included); protobuf when the content type is not one of ours.
        encoding = _encoding_or_protobuf(content_type)
        try:
            route = self._routes().get(path)
            if route is None:
                raise _HttpError(
                    ErrorKind.NOT_FOUND, f"no OTLP endpoint at {path}: use /v1/traces or /v1/logs"
                )
            signal, consume = route
            self._check_auth()
            encoding_from_content_type(content_type)  # 415 for any other content type
            raw = self._read_body()
            body = decode_content(
                raw, self.headers.get("Content-Encoding", ""), self.server.max_request_bytes
            )
            result = consume(body, encoding)
        except Exception as exc:
            kind = exc.kind if isinstance(exc, _HttpError) else classify_error(exc)
            ingestor.count(f"errors_{kind}")
            self._send_error(
                kind, str(exc) if kind is not ErrorKind.INTERNAL else "internal error", encoding
            )
            return
        response = build_export_response(signal, result)
        self._send(200, encode_message(response, encoding), encoding)

    def _not_allowed(self) -> None:
        self.server.ingestor.count(f"errors_{ErrorKind.METHOD_NOT_ALLOWED}")
        self._send_error(
            ErrorKind.METHOD_NOT_ALLOWED,
            f"method {self.command} not allowed: use POST",
            Encoding.PROTOBUF,
        )

    do_GET = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def _check_auth(self) -> None:
        token = self.server.auth_token
        if token is None:
            return
        given = self.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {token}".encode()):
            raise _HttpError(ErrorKind.UNAUTHENTICATED, "missing or wrong bearer token")

    def _read_body(self) -> bytes:
        limit = self.server.max_request_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise BadInputError(f"invalid Content-Length {length_header!r}") from None
        if length < 0:
            raise BadInputError(f"invalid Content-Length {length_header!r}")
        if length > limit:
            raise PayloadTooLargeError(
                f"request of {length} bytes exceeds the limit of {limit} bytes"
            )
        body = self.rfile.read(length)
        if len(body) != length:
            raise BadInputError("request body shorter than its Content-Length")
        return body

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadInputError("malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                raise PayloadTooLargeError(f"request exceeds the limit of {limit} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise BadInputError("truncated chunked body")
            parts.append(chunk)
            self.rfile.readline(8)

    def _send_error(self, kind: ErrorKind, message: str, encoding: Encoding) -> None:
        answer = ANSWERS[kind]
        status = status_pb2.Status(code=answer.grpc_code.value[0], message=message)
        headers = {}
        if answer.retry_after_seconds is not None:
            headers["Retry-After"] = str(answer.retry_after_seconds)
        if kind is ErrorKind.METHOD_NOT_ALLOWED:
            headers["Allow"] = "POST"
        # The body may be unread (too large, unauthenticated): do not reuse the connection.
        self.close_connection = True
        headers["Connection"] = "close"
        self._send(answer.http_status, encode_message(status, encoding), encoding, headers)

    def _send(
        self, code: int, payload: bytes, encoding: Encoding, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", encoding.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def start_http_server(
    ingestor: Ingestor,
    host: str,
    port: int,
    *,
    max_request_bytes: int,
    auth_token: str | None = None,
    tls_files: tuple[str, str] | None = None,
) -> tuple[OtlpHttpServer, int, threading.Thread]:
    """Start the HTTP server in a thread; returns it, the bound port and the thread."""
    try:
        server = OtlpHttpServer((host, port))
    except OSError as exc:
        raise BadInputError(
            f"cannot listen for OTLP/HTTP on {host}:{port}: {exc.strerror}"
        ) from exc
    server.ingestor = ingestor
    server.max_request_bytes = max_request_bytes
    server.auth_token = auth_token
    if tls_files is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_files[0], tls_files[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="otel-replay-http", daemon=True)
    thread.start()
    return server, server.server_address[1], thread


def stop_http_server(server: OtlpHttpServer, grace_seconds: float) -> None:
    """Stop accepting connections, then wait (up to the grace period) for requests in flight."""
    server.shutdown()
    server.server_close()
    server.wait_idle(grace_seconds)
