"""Pure decoding of OTLP request bodies (protobuf or JSON, optionally gzip) into pb2 messages."""

from __future__ import annotations

import base64
import json
import zlib
from enum import StrEnum
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.core.errors import BadInputError, PayloadTooLargeError, UnsupportedMediaTypeError

DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024

_M = TypeVar("_M", bound=Message)


class Encoding(StrEnum):
    """The two OTLP body encodings."""

    PROTOBUF = "protobuf"
    JSON = "json"

    @property
    def content_type(self) -> str:
        return "application/x-protobuf" if self is Encoding.PROTOBUF else "application/json"


def encoding_from_content_type(content_type: str) -> Encoding:
    """Map an HTTP Content-Type header to an encoding, or raise UnsupportedMediaTypeError."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in ("application/x-protobuf", "application/protobuf"):
        return Encoding.PROTOBUF
    if media_type == "application/json":
        return Encoding.JSON
    raise UnsupportedMediaTypeError(
        f"unsupported content type {content_type!r}: use application/x-protobuf or application/json"
    )


def gunzip(body: bytes, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> bytes:
    """Decompress gzip with a running cap, so a small bomb cannot exhaust memory."""
    return _inflate(body, max_bytes, wbits=31, name="gzip")


def inflate(body: bytes, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> bytes:
    """Decompress HTTP `deflate` (zlib-wrapped, RFC 9110; raw deflate is accepted too)."""
    if body[:1] and (body[0] & 0x0F) == 8 and int.from_bytes(body[:2], "big") % 31 == 0:
        return _inflate(body, max_bytes, wbits=15, name="deflate")
    return _inflate(body, max_bytes, wbits=-15, name="deflate")


def _inflate(body: bytes, max_bytes: int, *, wbits: int, name: str) -> bytes:
    decompressor = zlib.decompressobj(wbits=wbits)
    chunks: list[bytes] = []
    total = 0
    data = body
    try:
        while True:
            chunk = decompressor.decompress(data, max_bytes + 1 - total)
            total += len(chunk)
            chunks.append(chunk)
            if total > max_bytes:
                raise PayloadTooLargeError(f"request exceeds {max_bytes} bytes after decompression")
            data = decompressor.unconsumed_tail
            if not data:
                break
        if not decompressor.eof:
            raise BadInputError(f"truncated {name} body")
    except zlib.error as exc:
        raise BadInputError(f"invalid {name} body: {exc}") from exc
    return b"".join(chunks)


def decode_content(
    body: bytes, content_encoding: str, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES
) -> bytes:
    """Undo a Content-Encoding (identity or gzip) and enforce the size limit."""
    coding = content_encoding.strip().lower()
    if coding in ("", "identity"):
        if len(body) > max_bytes:
            raise PayloadTooLargeError(f"request exceeds {max_bytes} bytes")
        return body
    if coding in ("gzip", "x-gzip"):
        return gunzip(body, max_bytes)
    if coding == "deflate":
        return inflate(body, max_bytes)
    raise UnsupportedMediaTypeError(
        f"unsupported content encoding {content_encoding!r}: use gzip, deflate or none"
    )


# OTLP/JSON writes ids as hex, protobuf's JSON mapping reads bytes as base64: these are
# the id fields we must convert ourselves (OTLP specification, "JSON Protobuf Encoding").
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def _hex_id_to_base64(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise BadInputError(f"{field} must be a hex string, got {type(value).__name__}")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise BadInputError(f"{field} must be a hex string, got {value[:40]!r}") from None
    return base64.b64encode(raw).decode("ascii")


def _convert_ids(obj: dict[str, Any]) -> None:
    for field in _ID_FIELDS:
        if field in obj and obj[field] not in (None, ""):
            obj[field] = _hex_id_to_base64(obj[field], field)


def _each(obj: Any, key: str) -> list[Any]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _convert_trace_ids(doc: Any) -> None:
    for resource_spans in _each(doc, "resourceSpans"):
        for scope_spans in _each(resource_spans, "scopeSpans"):
            for span in _each(scope_spans, "spans"):
                _convert_ids(span)
                for link in _each(span, "links"):
                    _convert_ids(link)


def _convert_log_ids(doc: Any) -> None:
    for resource_logs in _each(doc, "resourceLogs"):
        for scope_logs in _each(resource_logs, "scopeLogs"):
            for record in _each(scope_logs, "logRecords"):
                _convert_ids(record)


def _parse_json(body: bytes, message: _M, what: str) -> _M:
    if not body.strip():
        return message  # an empty request, as an empty protobuf body is: nothing to store
    try:
        doc = json.loads(body)
    except RecursionError:
        raise BadInputError(f"{what}: JSON nests too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInputError(f"{what}: invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadInputError(f"{what}: JSON body must be an object")
    if isinstance(message, trace_service_pb2.ExportTraceServiceRequest):
        _convert_trace_ids(doc)
    else:
        _convert_log_ids(doc)
    try:
        json_format.ParseDict(doc, message, ignore_unknown_fields=True)
    except (json_format.ParseError, RecursionError, ValueError, TypeError) as exc:
        raise BadInputError(f"{what}: {exc}") from None
    return message


def _parse_protobuf(body: bytes, message: _M, what: str) -> _M:
    try:
        message.ParseFromString(body)
    except (DecodeError, RecursionError, ValueError) as exc:
        # upb also lands here for invalid UTF-8 in strings and over-deep AnyValue nesting.
        raise BadInputError(f"{what}: cannot decode protobuf body ({exc})") from None
    return message


def decode_trace_request(
    body: bytes, encoding: Encoding
) -> trace_service_pb2.ExportTraceServiceRequest:
    """Decode an ExportTraceServiceRequest body; BadInputError when it cannot be read."""
    message = trace_service_pb2.ExportTraceServiceRequest()
    if encoding is Encoding.JSON:
        return _parse_json(body, message, "trace request")
    return _parse_protobuf(body, message, "trace request")


def decode_logs_request(
    body: bytes, encoding: Encoding
) -> logs_service_pb2.ExportLogsServiceRequest:
    """Decode an ExportLogsServiceRequest body; BadInputError when it cannot be read."""
    message = logs_service_pb2.ExportLogsServiceRequest()
    if encoding is Encoding.JSON:
        return _parse_json(body, message, "logs request")
    return _parse_protobuf(body, message, "logs request")


def encode_message(message: Message, encoding: Encoding) -> bytes:
    """Encode a response (or request) message in the given OTLP encoding, ids as hex."""
    if encoding is Encoding.PROTOBUF:
        return message.SerializeToString()
    doc = json_format.MessageToDict(message, preserving_proto_field_name=False)
    _ids_to_hex(doc)
    return json.dumps(doc, separators=(",", ":")).encode()


def _ids_to_hex(obj: Any) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in _ID_FIELDS and isinstance(value, str):
                obj[key] = base64.b64decode(value).hex()
            else:
                _ids_to_hex(value)
    elif isinstance(obj, list):
        for item in obj:
            _ids_to_hex(item)


__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "Encoding",
    "decode_content",
    "decode_logs_request",
    "decode_trace_request",
    "encode_message",
    "encoding_from_content_type",
    "gunzip",
    "inflate",
]
