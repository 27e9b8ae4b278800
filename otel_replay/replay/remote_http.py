"""The replay bridge's HTTP handler: OTLP/HTTP routes and the tool-playback route.

Transport only: the body is read (Content-Length or chunked, bounded), undone of its
Content-Encoding and decoded by `otlp`, then handed to the bridge; errors are answered from
the receiver's one status table, as a google.rpc.Status in the request's encoding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol, runtime_checkable

from google.protobuf.message import Message
from google.rpc import status_pb2

from otel_replay.core.errors import BadInputError, PayloadTooLargeError
from otel_replay.otlp.decode import (
    DEFAULT_MAX_REQUEST_BYTES,
    Encoding,
    decode_content,
    encode_message,
    encoding_from_content_type,
)
from otel_replay.receiver.status import ANSWERS, ErrorKind, classify_error
from otel_replay.replay.remote_playback import serve_tool_call
from otel_replay.replay.remote_protocol import (
    LOGS_PATH,
    METRICS_PATH,
    TOOLS_CALL_PATH,
    TRACES_PATH,
    ToolAnswer,
    ToolAnswerKind,
    parse_tool_call,
)
from otel_replay.standin.loopback import server_owner

logger = logging.getLogger("otel_replay.replay.remote")

_JSON = "application/json"


@runtime_checkable
class BridgeConsumer(Protocol):
    """What the handler hands decoded requests to (the replay bridge)."""

    def count(self, name: str, amount: int = 1) -> None: ...

    def consume_traces(self, body: bytes, encoding: Encoding) -> Message: ...

    def consume_logs(self, body: bytes, encoding: Encoding) -> Message: ...

    def consume_metrics(self, body: bytes, encoding: Encoding) -> Message: ...


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class BridgeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
    disable_nagle_algorithm = True
    # A stalled client (mid-request, or idle on a kept-alive connection) gives up its thread.
    timeout = 30.0

    def log_message(self, format: str, *args: Any) -> None:
        """No log line per request: the bridge counts instead."""

    def do_POST(self) -> None:
        bridge = server_owner(self)
        assert isinstance(bridge, BridgeConsumer)
        path = self.path.split("?", 1)[0]
        try:
            body = self._read_body()
        except OSError:
            self.close_connection = True  # the client stalled or left: nobody to answer
            return
        except BadInputError as exc:
            self.close_connection = True  # the body's end is unknown
            self._answer_error(path, exc)
            return
        if path == TOOLS_CALL_PATH:
            self._tool_call(bridge, body)
            return
        consumers: dict[str, Callable[[bytes, Encoding], Message]] = {
            TRACES_PATH: bridge.consume_traces,
            LOGS_PATH: bridge.consume_logs,
            METRICS_PATH: bridge.consume_metrics,
        }
        consume = consumers.get(path)
        encoding = Encoding.PROTOBUF
        try:
            if consume is None:
                raise _HttpError(
                    404,
                    f"no route {path}: use {TRACES_PATH}, {LOGS_PATH}, {METRICS_PATH} or "
                    f"{TOOLS_CALL_PATH}",
                )
            encoding = encoding_from_content_type(self.headers.get("Content-Type", ""))
            content = decode_content(
                body, self.headers.get("Content-Encoding", ""), DEFAULT_MAX_REQUEST_BYTES
            )
            response = consume(content, encoding)
        except Exception as exc:
            self._answer_error(path, exc, encoding)
            return
        self._send(200, encoding.content_type, encode_message(response, encoding))

    def _tool_call(self, bridge: BridgeConsumer, body: bytes) -> None:
        bridge.count("tool_calls")
        try:
            request = parse_tool_call(body)
        except BadInputError as exc:
            answer = ToolAnswer(ToolAnswerKind.BAD_REQUEST, message=str(exc))
        else:
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                answer = serve_tool_call(request, headers)
            except Exception:
                logger.exception("the replay's tool playback failed on %s", request.name)
                message = "the replay's tool playback failed (its log says why); not run"
                answer = ToolAnswer(ToolAnswerKind.INTERNAL, message=message)
        bridge.count(f"tool_calls_{answer.kind}")
        self._send(answer.status, _JSON, answer.to_json())

    def _answer_error(self, path: str, exc: Exception, encoding: Encoding | None = None) -> None:
        if path == TOOLS_CALL_PATH:
            status = exc.status if isinstance(exc, _HttpError) else 400
            answer = ToolAnswer(ToolAnswerKind.BAD_REQUEST, message=str(exc))
            self._send(status, _JSON, answer.to_json())
            return
        if isinstance(exc, _HttpError):
            status, code = exc.status, ANSWERS[ErrorKind.NOT_FOUND].grpc_code
        else:
            kind = classify_error(exc)
            if kind is ErrorKind.INTERNAL:
                logger.exception("the replay's OTLP endpoint failed on %s", path)
            status, code = ANSWERS[kind].http_status, ANSWERS[kind].grpc_code
        if status == 413:
            self.close_connection = True
        message = status_pb2.Status(code=code.value[0], message=str(exc))
        encoding = encoding or Encoding.PROTOBUF
        self._send(status, encoding.content_type, encode_message(message, encoding))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length") or "0"
        if not length_header.isdigit():
            raise BadInputError(f"invalid Content-Length {length_header!r}")
        length = int(length_header)
        if length > DEFAULT_MAX_REQUEST_BYTES:
            raise PayloadTooLargeError(f"request of {length} bytes is over the limit")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadInputError("malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > DEFAULT_MAX_REQUEST_BYTES:
                raise PayloadTooLargeError("chunked request is over the limit")
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _not_allowed(self) -> None:
        self.close_connection = True
        payload = ToolAnswer(
            ToolAnswerKind.BAD_REQUEST, message=f"method {self.command} not allowed: use POST"
        ).to_json()
        self._send(405, _JSON, payload, {"Allow": "POST"})

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _send(
        self, status: int, content_type: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


__all__ = ["BridgeConsumer", "BridgeHandler"]
