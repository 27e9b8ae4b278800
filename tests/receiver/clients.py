"""Raw OTLP clients for tests: one HTTP request or one gRPC call, answer kept whole.

The official exporters hide status codes, trailers and bodies; these keep them, so that tests
can assert the exact answer to malformed input.
"""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

TRACES_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
LOGS_METHOD = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]  # lowercase names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def post_http(
    port: int,
    body: bytes,
    *,
    content_type: str | None = PROTOBUF,
    path: str = "/v1/traces",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    chunked: bool = False,
    timeout: float = 10.0,
) -> HttpAnswer:
    """Send one request on a new connection and read the whole answer."""
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if chunked:
            pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
            connection.request(method, path, iter(pieces), all_headers, encode_chunked=True)
        else:
            connection.request(method, path, body, all_headers)
        response = connection.getresponse()
        data = response.read()
        return HttpAnswer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


@dataclass(frozen=True)
class GrpcAnswer:
    code: grpc.StatusCode
    details: str
    body: bytes  # the serialized response message when OK
    trailers: dict[str, str | bytes]


def call_grpc(
    port: int,
    body: bytes,
    *,
    method: str = TRACES_METHOD,
    compression: grpc.Compression | None = None,
    metadata: Sequence[tuple[str, str]] = (),
    timeout: float = 10.0,
) -> GrpcAnswer:
    """One unary call of raw bytes (no client-side serialisation) on a new channel."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        export = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            response, call = export.with_call(
                body, timeout=timeout, compression=compression, metadata=tuple(metadata)
            )
        except grpc.RpcError as error:
            assert isinstance(error, grpc.Call)
            return GrpcAnswer(
                error.code(), error.details() or "", b"", _trailers(error.trailing_metadata())
            )
        return GrpcAnswer(grpc.StatusCode.OK, "", response, _trailers(call.trailing_metadata()))


def _trailers(metadata: object) -> dict[str, str | bytes]:
    return {key: value for key, value in metadata or ()}  # type: ignore[attr-defined]


def otlp_json(message: Message) -> bytes:
    """OTLP/JSON as the specification writes it: hex ids, integer enums, camelCase keys."""
    doc = json_format.MessageToDict(message, use_integers_for_enums=True)
    _ids_to_hex(doc)
    return json.dumps(doc).encode()


_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _ids_to_hex(node: object) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _ids_to_hex(value)
    elif isinstance(node, list):
        for item in node:
            _ids_to_hex(item)
