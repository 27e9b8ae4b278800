"""A capture receiver: OTLP/HTTP on 127.0.0.1 that keeps every export request as sent.

It answers `POST /v1/traces` and `POST /v1/logs` (protobuf or OTLP/JSON, optionally gzip)
with an empty success response and keeps the official protobuf messages as decoded, so a
capture holds exactly what the exporter sent; they are written as OTLP/JSON (hex ids).
"""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.otlp.decode import (
    Encoding,
    decode_logs_request,
    decode_trace_request,
    encode_message,
)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks: list[bytes] = []
        while True:  # Node's exporters send chunked bodies
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def do_POST(self) -> None:
        body = self._read_body()
        if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            body = gzip.decompress(body)
        is_json = "json" in (self.headers.get("Content-Type") or "")
        path = self.path.split("?")[0].rstrip("/")
        message: trace_service_pb2.ExportTraceServiceRequest | (
            logs_service_pb2.ExportLogsServiceRequest
        )
        if path.endswith("/v1/traces"):
            message = trace_service_pb2.ExportTraceServiceRequest()
            response: Any = trace_service_pb2.ExportTraceServiceResponse()
        elif path.endswith("/v1/logs"):
            message = logs_service_pb2.ExportLogsServiceRequest()
            response = logs_service_pb2.ExportLogsServiceResponse()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if is_json:
            encoding = Encoding.JSON
            if isinstance(message, trace_service_pb2.ExportTraceServiceRequest):
                message = decode_trace_request(body, encoding)
            else:
                message = decode_logs_request(body, encoding)
            data = b"{}"
        else:
            message.ParseFromString(body)
            data = response.SerializeToString()
        self.server.keep(message)
        self.send_response(200)
        self.send_header(
            "Content-Type", "application/json" if is_json else "application/x-protobuf"
        )
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.traces = trace_service_pb2.ExportTraceServiceRequest()
        self.logs = logs_service_pb2.ExportLogsServiceRequest()

    def keep(self, message: Any) -> None:
        with self.lock:
            if isinstance(message, trace_service_pb2.ExportTraceServiceRequest):
                self.traces.resource_spans.extend(message.resource_spans)
            else:
                self.logs.resource_logs.extend(message.resource_logs)


class CaptureSink:
    """Runs from construction until `close()`; `traces_json()`/`logs_json()` give everything
    received so far as one OTLP/JSON request each (requests concatenated in arrival order)."""

    def __init__(self) -> None:
        self._server = _Server()
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def traces_json(self) -> dict[str, Any]:
        with self._server.lock:
            doc: dict[str, Any] = json.loads(encode_message(self._server.traces, Encoding.JSON))
        return doc

    def logs_json(self) -> dict[str, Any]:
        with self._server.lock:
            doc: dict[str, Any] = json.loads(encode_message(self._server.logs, Encoding.JSON))
        return doc

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CaptureSink:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
