"""Malformed, hostile and unusual requests: the exact answer to each, and nothing bad stored."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import SqlSpanStore
from tests.builders import make_span
from tests.receiver.clients import (
    JSON,
    LOGS_METHOD,
    PROTOBUF,
    TRACES_METHOD,
    call_grpc,
    otlp_json,
    post_http,
)
from tests.receiver.conftest import (
    grpc_port,
    http_port,
    loopback_config,
    module_receiver,
    second_connection,
)

LIMIT = 64 * 1024
BAD_IDS_MESSAGE = (
    "{n} span(s) rejected: trace_id must be 16 non-zero bytes, span_id 8 non-zero bytes, "
    "parent_span_id empty or 8 bytes"
)
CANNOT_DECODE = r"trace request: cannot decode protobuf body \(.+\)"
_good_span_numbers = iter(range(1000, 1_000_000))


def _good_request() -> trace_service_pb2.ExportTraceServiceRequest:
    """A one-span request whose trace id was never used before in this module."""
    number = next(_good_span_numbers)
    return spans_to_request([make_span(number, number, name=f"good-{number}")])


# Raw protobuf, for requests the protobuf library refuses to build (too deep, bad UTF-8).
def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _nested_value(kvlist_levels: int = 0, array_levels: int = 0) -> bytes:
    """An AnyValue wrapping a string in kvlist levels, then array levels (outermost)."""
    value = _field(1, b"leaf")  # string_value
    for _ in range(kvlist_levels):
        key_value = _field(1, b"k") + _field(2, value)
        value = _field(6, _field(1, key_value))  # kvlist_value.values
    for _ in range(array_levels):
        value = _field(5, _field(1, value))  # array_value.values
    return value


def _raw_trace_request(name: bytes, attribute_value: bytes = b"") -> bytes:
    span = _field(1, bytes(range(1, 17))) + _field(2, bytes(range(1, 9))) + _field(5, name)
    if attribute_value:
        span += _field(9, _field(1, b"deep") + _field(2, attribute_value))
    return _field(1, _field(2, _field(2, span)))


def _bad_ids_request() -> trace_service_pb2.ExportTraceServiceRequest:
    """Four spans with defective ids, and one good span."""
    request = _good_request()
    spans = request.resource_spans[0].scope_spans[0].spans
    good = spans[0]
    for trace_id, span_id, parent in (
        (bytes(16), good.span_id, b""),
        (good.trace_id, bytes(8), b""),
        (good.trace_id, b"\x01" * 7, b""),
        (good.trace_id, b"\x02" * 8, b"\x03" * 4),
    ):
        spans.add(trace_id=trace_id, span_id=span_id, parent_span_id=parent, name="bad-ids")
    return request


def _logs_request(with_trace_context: bool) -> logs_service_pb2.ExportLogsServiceRequest:
    request = logs_service_pb2.ExportLogsServiceRequest()
    records = request.resource_logs.add().scope_logs.add().log_records
    for text in ("first log", "second log"):
        record = records.add(severity_text="INFO", time_unix_nano=1, event_name="gen_ai.choice")
        record.body.string_value = text
        if with_trace_context:
            record.trace_id, record.span_id = b"\x05" * 16, b"\x06" * 8
    return request


def _json_spans(*spans: dict[str, object]) -> bytes:
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}).encode()


def _invalid_utf8_protobuf() -> bytes:
    return _raw_trace_request(b"bad \xff\xfe name")


@dataclass(frozen=True)
class Failure:
    """A google.rpc.Status answer; `message` is a regular expression matched in full."""

    code: grpc.StatusCode
    message: str


@dataclass(frozen=True)
class Success:
    """An export response, as its proto3 JSON mapping (partial_success only when set)."""

    response: dict[str, object] = field(default_factory=dict)


def _partial(rejected: int, message: str) -> Success:
    return Success({"partialSuccess": {"rejectedSpans": str(rejected), "errorMessage": message}})


@dataclass(frozen=True)
class HttpCase:
    body: bytes
    status: int
    answer: Failure | Success
    content_type: str | None = PROTOBUF
    path: str = "/v1/traces"
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False
    stored_spans: int = 0


def _good_json() -> bytes:
    return otlp_json(_good_request())


GOOD_SPAN_ID = "0000000000000401"
INT64_TRACE_ID = "0000000000000000000000000000abcd"

HTTP_CASES = [
    pytest.param(
        HttpCase(
            b"\xff\xfe\xfd garbage", 400, Failure(grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE)
        ),
        id="garbage_bytes",
    ),
    pytest.param(
        HttpCase(
            _good_request().SerializeToString()[:-3],
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE),
        ),
        id="truncated_protobuf",
    ),
    pytest.param(
        HttpCase(
            b"this is not gzip",
            400,
            Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                re.escape(
                    "invalid gzip body: Error -3 while decompressing data: incorrect header check"
                ),
            ),
            headers={"Content-Encoding": "gzip"},
        ),
        id="bad_gzip",
    ),
    pytest.param(
        HttpCase(
            gzip.compress(_good_request().SerializeToString())[:-9],
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, "truncated gzip body"),
            headers={"Content-Encoding": "gzip"},
        ),
        id="truncated_gzip",
    ),
    pytest.param(
        HttpCase(
            _good_request().SerializeToString(),
            415,
            Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                re.escape(
                    "unsupported content type 'text/plain': "
                    "use application/x-protobuf or application/json"
                ),
            ),
            content_type="text/plain",
        ),
        id="wrong_content_type_415",
    ),
    pytest.param(
        HttpCase(
            _good_request().SerializeToString(),
            415,
            Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                re.escape("unsupported content encoding 'br': use gzip, deflate or none"),
            ),
            headers={"Content-Encoding": "br"},
        ),
        id="unknown_content_encoding_415",
    ),
    pytest.param(
        HttpCase(
            b"",
            405,
            Failure(grpc.StatusCode.UNIMPLEMENTED, "method GET not allowed: use POST"),
            method="GET",
            content_type=None,
        ),
        id="get_405",
    ),
    pytest.param(
        HttpCase(
            _good_request().SerializeToString(),
            405,
            Failure(grpc.StatusCode.UNIMPLEMENTED, "method PUT not allowed: use POST"),
            method="PUT",
        ),
        id="put_405",
    ),
    pytest.param(
        HttpCase(
            _good_request().SerializeToString(),
            404,
            Failure(
                grpc.StatusCode.UNIMPLEMENTED,
                "no OTLP endpoint at /v1/profiles: use /v1/traces, /v1/logs or /v1/metrics",
            ),
            path="/v1/profiles",
        ),
        id="unknown_path_404",
    ),
    pytest.param(
        HttpCase(
            b"{}",
            404,
            Failure(
                grpc.StatusCode.UNIMPLEMENTED,
                "no OTLP endpoint at /v1/trace: use /v1/traces, /v1/logs or /v1/metrics",
            ),
            path="/v1/trace",
            content_type=JSON,
        ),
        id="unknown_path_404_json",
    ),
    pytest.param(
        HttpCase(
            _json_spans(
                {"traceId": "AQEBAQEBAQEBAQEBAQEBAQ==", "spanId": "AgICAgICAgI=", "name": "b64"}
            ),
            400,
            Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                re.escape("traceId must be a hex string, got 'AQEBAQEBAQEBAQEBAQEBAQ=='"),
            ),
            content_type=JSON,
        ),
        id="base64_ids_in_json",
    ),
    pytest.param(
        HttpCase(
            _bad_ids_request().SerializeToString(),
            200,
            _partial(4, BAD_IDS_MESSAGE.format(n=4)),
            stored_spans=1,
        ),
        id="zero_and_short_ids_partial_success",
    ),
    pytest.param(
        HttpCase(
            _json_spans(
                {"traceId": "0" * 32, "spanId": "0102030405060708", "name": "zero-trace"},
                {"traceId": "ab" * 16, "spanId": "0" * 16, "name": "zero-span"},
                {"traceId": "abcd", "spanId": "0102030405060708", "name": "short-trace"},
                {"traceId": "AB" * 16, "spanId": GOOD_SPAN_ID, "name": "good-json"},
            ),
            200,
            _partial(3, BAD_IDS_MESSAGE.format(n=3)),
            content_type=JSON,
            stored_spans=1,
        ),
        id="zero_and_short_ids_partial_success_json",
    ),
    pytest.param(
        HttpCase(
            _logs_request(with_trace_context=False).SerializeToString(),
            200,
            _partial(2, BAD_IDS_MESSAGE.format(n=2)),
        ),
        id="logs_request_to_traces_endpoint_all_rejected",
    ),
    pytest.param(
        HttpCase(
            _logs_request(with_trace_context=True).SerializeToString(),
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE),
        ),
        id="logs_request_with_trace_context_to_traces_endpoint",
    ),
    pytest.param(
        HttpCase(
            b"[" * 30_000 + b"]" * 30_000,
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, "trace request: JSON nests too deeply"),
            content_type=JSON,
        ),
        id="deeply_nested_json",
    ),
    pytest.param(
        HttpCase(
            b'{"resourceSpans": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, "trace request: JSON nests too deeply"),
            content_type=JSON,
        ),
        id="deeply_nested_json_inside_a_request",
    ),
    pytest.param(
        HttpCase(
            _raw_trace_request(b"deep", _nested_value(kvlist_levels=32)),
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE),
        ),
        id="anyvalue_kvlist_depth_32_beyond_upb",
    ),
    pytest.param(
        HttpCase(
            _raw_trace_request(b"deep", _nested_value(array_levels=48)),
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE),
        ),
        id="anyvalue_array_depth_48_beyond_upb",
    ),
    pytest.param(
        HttpCase(
            _raw_trace_request(b"deep", _nested_value(kvlist_levels=64)),
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE),
        ),
        id="anyvalue_depth_64_as_sdks_may_send",
    ),
    pytest.param(
        HttpCase(
            _raw_trace_request(b"deep", _nested_value(kvlist_levels=31)),
            200,
            Success(),
            stored_spans=1,
        ),
        id="anyvalue_kvlist_depth_31_kept",
    ),
    pytest.param(
        HttpCase(
            _invalid_utf8_protobuf(),
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE),
        ),
        id="invalid_utf8_protobuf",
    ),
    pytest.param(
        HttpCase(
            _json_spans({"traceId": "cd" * 16, "spanId": "ef" * 8, "name": "bad"}).replace(
                b'"bad"', b'"\xff\xfe"'
            ),
            400,
            Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                r"trace request: invalid JSON: 'utf-8' codec can't decode byte 0xff .+",
            ),
            content_type=JSON,
        ),
        id="invalid_utf8_json",
    ),
    pytest.param(
        HttpCase(
            b"\x0a" * (LIMIT + 1),
            413,
            Failure(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"request of {LIMIT + 1} bytes exceeds the limit of {LIMIT} bytes",
            ),
        ),
        id="body_over_limit_413",
    ),
    pytest.param(
        HttpCase(
            gzip.compress(b"\x00" * (16 * LIMIT)),
            413,
            Failure(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"request exceeds {LIMIT} bytes after decompression",
            ),
            headers={"Content-Encoding": "gzip"},
        ),
        id="gzip_bomb_413",
    ),
    pytest.param(
        HttpCase(
            gzip.compress(b" " * (16 * LIMIT)),
            413,
            Failure(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"request exceeds {LIMIT} bytes after decompression",
            ),
            content_type=JSON,
            headers={"Content-Encoding": "gzip"},
        ),
        id="gzip_bomb_413_json",
    ),
    pytest.param(
        HttpCase(
            b"\x0a" * (LIMIT + 1),
            413,
            Failure(
                grpc.StatusCode.RESOURCE_EXHAUSTED, f"request exceeds the limit of {LIMIT} bytes"
            ),
            chunked=True,
        ),
        id="chunked_body_over_limit_413",
    ),
    pytest.param(
        HttpCase(_good_request().SerializeToString(), 200, Success(), chunked=True, stored_spans=1),
        id="chunked_transfer_encoding_accepted",
    ),
    pytest.param(
        HttpCase(
            gzip.compress(_good_request().SerializeToString()),
            200,
            Success(),
            chunked=True,
            headers={"Content-Encoding": "gzip"},
            stored_spans=1,
        ),
        id="chunked_and_gzip_accepted",
    ),
    pytest.param(
        HttpCase(
            zlib.compress(_good_request().SerializeToString()),
            200,
            Success(),
            headers={"Content-Encoding": "deflate"},
            stored_spans=1,
        ),
        id="deflate_accepted",
    ),
    pytest.param(
        HttpCase(
            zlib.compress(_good_request().SerializeToString(), wbits=-15),
            200,
            Success(),
            headers={"Content-Encoding": "deflate"},
            stored_spans=1,
        ),
        id="raw_deflate_accepted",
    ),
    pytest.param(HttpCase(b"", 200, Success()), id="empty_body"),
    pytest.param(HttpCase(b"", 200, Success(), content_type=JSON), id="empty_json_body"),
    pytest.param(HttpCase(b"{}", 200, Success(), content_type=JSON), id="empty_json_object"),
    pytest.param(
        HttpCase(
            json.dumps(
                {
                    "someFutureField": {"x": 1},
                    "resourceSpans": [
                        {
                            "unknownThing": [1, 2],
                            "scopeSpans": [
                                {
                                    "spans": [
                                        {
                                            "traceId": "0123456789ABCDEF0123456789abcdef",
                                            "spanId": "0123456789abcdef",
                                            "name": "with-unknown-fields",
                                            "notInOtlp": True,
                                        }
                                    ]
                                }
                            ],
                        }
                    ],
                }
            ).encode(),
            200,
            Success(),
            content_type=JSON,
            stored_spans=1,
        ),
        id="json_unknown_fields_ignored",
    ),
    pytest.param(
        HttpCase(
            _json_spans(
                {
                    "traceId": INT64_TRACE_ID,
                    "spanId": "00000000000000ab",
                    "name": "int64",
                    "kind": 3,
                    "startTimeUnixNano": "9007199254740993",
                    "endTimeUnixNano": 9007199254740995,
                    "attributes": [
                        {"key": "as_string", "value": {"intValue": "9007199254740993"}},
                        {"key": "as_number", "value": {"intValue": 9007199254740993}},
                        {"key": "min", "value": {"intValue": str(-(2**63))}},
                    ],
                }
            ),
            200,
            Success(),
            content_type=JSON,
            stored_spans=1,
        ),
        id="int64_decimal_strings_kept_exact",
    ),
    pytest.param(
        HttpCase(
            b"[]",
            400,
            Failure(grpc.StatusCode.INVALID_ARGUMENT, "trace request: JSON body must be an object"),
            content_type=JSON,
        ),
        id="json_array_body",
    ),
    pytest.param(
        HttpCase(
            _good_request().SerializeToString(),
            200,
            Success(),
            content_type="application/x-protobuf; charset=binary",
            stored_spans=1,
        ),
        id="content_type_with_parameters",
    ),
]


@pytest.fixture(scope="module")
def small_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """One receiver for the whole table, with a small request limit."""
    yield from module_receiver(tmp_path_factory, "malformed", max_request_bytes=LIMIT)


@pytest.fixture(scope="module")
def table_store(small_receiver: Receiver) -> Iterator[SqlSpanStore]:
    """A second connection to the receiver's store: reads only what was committed."""
    yield from second_connection(small_receiver)


def _expected_content_type(case: HttpCase) -> str:
    return JSON if case.content_type == JSON else PROTOBUF


def _parse(body: bytes, content_type: str, message: Message) -> Message:
    if content_type == JSON:
        return json_format.Parse(body, message)
    message.ParseFromString(body)
    return message


def _assert_http_answer(case: HttpCase, port: int) -> None:
    answer = post_http(
        port,
        case.body,
        content_type=case.content_type,
        path=case.path,
        method=case.method,
        headers=case.headers,
        chunked=case.chunked,
    )
    assert answer.status == case.status, answer.body[:300]
    # The answer uses the request's encoding, errors included.
    content_type = _expected_content_type(case)
    assert answer.content_type == content_type
    if isinstance(case.answer, Failure):
        status = _parse(answer.body, content_type, status_pb2.Status())
        assert isinstance(status, status_pb2.Status)
        assert status.code == case.answer.code.value[0]
        assert re.fullmatch(case.answer.message, status.message), status.message
        if case.status == 405:
            assert answer.headers["allow"] == "POST"
        return
    response = _parse(answer.body, content_type, trace_service_pb2.ExportTraceServiceResponse())
    assert json_format.MessageToDict(response) == case.answer.response
    if content_type == JSON:
        assert json.loads(answer.body) == case.answer.response
    else:
        assert answer.body == response.SerializeToString()


@pytest.mark.parametrize("case", HTTP_CASES)
def test_http_answers_each_malformed_request_exactly(
    small_receiver: Receiver, table_store: SqlSpanStore, case: HttpCase
) -> None:
    before = table_store.counts().spans
    _assert_http_answer(case, http_port(small_receiver))
    assert table_store.counts().spans == before + case.stored_spans
    assert small_receiver.ingestor.counters["errors_internal"] == 0


def test_good_spans_beside_bad_ids_are_stored_and_bad_ones_are_not(
    small_receiver: Receiver, table_store: SqlSpanStore
) -> None:
    request = _bad_ids_request()
    good = request.resource_spans[0].scope_spans[0].spans[0]
    answer = post_http(http_port(small_receiver), request.SerializeToString())
    assert answer.status == 200
    stored = table_store.get_spans([good.trace_id.hex()])
    assert [(s.span_id, s.name) for s in stored] == [(good.span_id.hex(), good.name)]


def test_int64_values_from_json_are_kept_exact(
    small_receiver: Receiver, table_store: SqlSpanStore
) -> None:
    (case,) = (p.values[0] for p in HTTP_CASES if p.id == "int64_decimal_strings_kept_exact")
    assert isinstance(case, HttpCase)
    _assert_http_answer(case, http_port(small_receiver))
    (span,) = table_store.get_spans([INT64_TRACE_ID])
    assert span.start_time_unix_nano == 9007199254740993
    assert span.end_time_unix_nano == 9007199254740995
    assert span.attributes == {
        "as_string": 9007199254740993,
        "as_number": 9007199254740993,
        "min": -(2**63),
    }


def test_json_ids_are_read_as_hex_in_any_case(
    small_receiver: Receiver, table_store: SqlSpanStore
) -> None:
    body = _json_spans(
        {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174", "name": "x"}
    )
    assert post_http(http_port(small_receiver), body, content_type=JSON).status == 200
    (span,) = table_store.get_spans(["5b8efff798038103d269b633813fc60c"])
    assert span.span_id == "eee19b7ec3c1b174"


@dataclass(frozen=True)
class GrpcCase:
    body: bytes
    code: grpc.StatusCode
    details: str = ""  # a regular expression matched in full (errors only)
    response: Message | None = None  # the exact response (OK only)
    method: str = TRACES_METHOD
    compression: grpc.Compression | None = None
    stored_spans: int = 0


def _trace_partial(rejected: int) -> trace_service_pb2.ExportTraceServiceResponse:
    response = trace_service_pb2.ExportTraceServiceResponse()
    response.partial_success.rejected_spans = rejected
    response.partial_success.error_message = BAD_IDS_MESSAGE.format(n=rejected)
    return response


def _logs_with_bad_ids() -> bytes:
    request = _logs_request(with_trace_context=True)
    request.resource_logs[0].scope_logs[0].log_records[0].span_id = b"\x01" * 3
    return request.SerializeToString()


def _logs_partial() -> logs_service_pb2.ExportLogsServiceResponse:
    response = logs_service_pb2.ExportLogsServiceResponse()
    response.partial_success.rejected_log_records = 1
    response.partial_success.error_message = (
        "1 log record(s) rejected: trace_id must be empty or 16 bytes, span_id empty or 8 bytes"
    )
    return response


GRPC_CASES = [
    pytest.param(
        GrpcCase(b"\xff\xfe\xfd garbage", grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE),
        id="garbage_bytes",
    ),
    pytest.param(
        GrpcCase(
            _good_request().SerializeToString()[:-3],
            grpc.StatusCode.INVALID_ARGUMENT,
            CANNOT_DECODE,
        ),
        id="truncated_protobuf",
    ),
    pytest.param(
        GrpcCase(
            _raw_trace_request(b"deep", _nested_value(kvlist_levels=32)),
            grpc.StatusCode.INVALID_ARGUMENT,
            CANNOT_DECODE,
        ),
        id="anyvalue_kvlist_depth_32_beyond_upb",
    ),
    pytest.param(
        GrpcCase(
            _raw_trace_request(b"deep", _nested_value(kvlist_levels=20, array_levels=30)),
            grpc.StatusCode.INVALID_ARGUMENT,
            CANNOT_DECODE,
        ),
        id="anyvalue_mixed_depth_beyond_upb",
    ),
    pytest.param(
        GrpcCase(_invalid_utf8_protobuf(), grpc.StatusCode.INVALID_ARGUMENT, CANNOT_DECODE),
        id="invalid_utf8",
    ),
    pytest.param(
        GrpcCase(
            _bad_ids_request().SerializeToString(),
            grpc.StatusCode.OK,
            response=_trace_partial(4),
            stored_spans=1,
        ),
        id="zero_and_short_ids_partial_success",
    ),
    pytest.param(
        GrpcCase(
            _logs_request(with_trace_context=False).SerializeToString(),
            grpc.StatusCode.OK,
            response=_trace_partial(2),
        ),
        id="logs_request_to_trace_service_all_rejected",
    ),
    pytest.param(
        GrpcCase(
            _logs_request(with_trace_context=True).SerializeToString(),
            grpc.StatusCode.INVALID_ARGUMENT,
            CANNOT_DECODE,
        ),
        id="logs_request_with_trace_context_to_trace_service",
    ),
    pytest.param(
        GrpcCase(
            _logs_with_bad_ids(),
            grpc.StatusCode.OK,
            response=_logs_partial(),
            method=LOGS_METHOD,
        ),
        id="log_record_with_short_span_id_partial_success",
    ),
    pytest.param(
        GrpcCase(b"", grpc.StatusCode.OK, response=trace_service_pb2.ExportTraceServiceResponse()),
        id="empty_request",
    ),
    pytest.param(
        GrpcCase(
            _field(1, b"\x00" * LIMIT),
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            rf"SERVER: Received message larger than max \({LIMIT + 4} vs\. {LIMIT}\)",
        ),
        id="over_limit",
    ),
    pytest.param(
        GrpcCase(
            _field(1, b"\x00" * (16 * LIMIT)),
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "Decompressed message larger than max",
            compression=grpc.Compression.Gzip,
        ),
        id="over_limit_after_decompression",
    ),
    pytest.param(
        GrpcCase(
            _good_request().SerializeToString(),
            grpc.StatusCode.OK,
            response=trace_service_pb2.ExportTraceServiceResponse(),
            compression=grpc.Compression.Gzip,
            stored_spans=1,
        ),
        id="gzip_accepted",
    ),
    pytest.param(
        GrpcCase(
            b"",
            grpc.StatusCode.UNIMPLEMENTED,
            "Method not found!",
            method="/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
        ),
        id="unknown_method",
    ),
]


def _assert_grpc_answer(case: GrpcCase, port: int) -> None:
    answer = call_grpc(port, case.body, method=case.method, compression=case.compression)
    assert answer.code is case.code, answer.details
    if case.code is grpc.StatusCode.OK:
        assert case.response is not None
        assert answer.body == case.response.SerializeToString()
    else:
        assert re.fullmatch(case.details, answer.details), answer.details


@pytest.mark.parametrize("case", GRPC_CASES)
def test_grpc_answers_each_malformed_request_exactly(
    small_receiver: Receiver, table_store: SqlSpanStore, case: GrpcCase
) -> None:
    before = table_store.counts()
    _assert_grpc_answer(case, grpc_port(small_receiver))
    after = table_store.counts()
    assert after.spans == before.spans + case.stored_spans
    assert after.log_records == before.log_records + (
        1 if case.method == LOGS_METHOD and case.code is grpc.StatusCode.OK else 0
    )
    assert small_receiver.ingestor.counters["errors_internal"] == 0


def test_after_every_bad_request_the_receiver_still_stores_a_good_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    running = Receiver(loopback_config(url, max_request_bytes=LIMIT))
    try:
        for param in HTTP_CASES:
            http_case = param.values[0]
            assert isinstance(http_case, HttpCase)
            if http_case.stored_spans == 0:
                _assert_http_answer(http_case, http_port(running))
        for param in GRPC_CASES:
            grpc_case = param.values[0]
            assert isinstance(grpc_case, GrpcCase)
            if grpc_case.stored_spans == 0:
                _assert_grpc_answer(grpc_case, grpc_port(running))
        assert running.store.counts().spans == 0  # nothing bad got in

        http_good, grpc_good = _good_request(), _good_request()
        assert post_http(http_port(running), http_good.SerializeToString()).status == 200
        assert (
            call_grpc(grpc_port(running), grpc_good.SerializeToString()).code is grpc.StatusCode.OK
        )
        names = {span.name for span in running.store.get_spans(_trace_ids(http_good, grpc_good))}
        assert names == {_name(http_good), _name(grpc_good)}
        assert running.store.counts().spans == 2
        assert running.ingestor.counters["errors_internal"] == 0
    finally:
        running.stop()


def _first_span(request: trace_service_pb2.ExportTraceServiceRequest) -> trace_pb2.Span:
    return request.resource_spans[0].scope_spans[0].spans[0]


def _trace_ids(*requests: trace_service_pb2.ExportTraceServiceRequest) -> list[str]:
    return [_first_span(r).trace_id.hex() for r in requests]


def _name(request: trace_service_pb2.ExportTraceServiceRequest) -> str:
    return _first_span(request).name


def test_raw_nested_value_builder_matches_protobuf() -> None:
    """The hand-written encoder agrees with protobuf where protobuf can still build the value."""
    expected = common_pb2.AnyValue()
    expected.array_value.values.add().kvlist_value.values.add(key="k").value.string_value = "leaf"
    built = common_pb2.AnyValue.FromString(_nested_value(kvlist_levels=1, array_levels=1))
    assert built == expected


def test_default_limit_takes_requests_beyond_grpcio_4_mib_default(sqlite_url: str) -> None:
    """grpcio refuses messages over 4 MiB unless told otherwise; OTLP senders batch more."""
    running = Receiver(loopback_config(sqlite_url))
    try:
        big = "x" * (5 * 1024 * 1024)
        grpc_request = spans_to_request([make_span(1, 1, attributes={"big": big})])
        http_request = spans_to_request([make_span(2, 1, attributes={"big": big})])
        answer = call_grpc(grpc_port(running), grpc_request.SerializeToString())
        assert answer.code is grpc.StatusCode.OK, answer.details
        assert post_http(http_port(running), http_request.SerializeToString()).status == 200
        assert running.store.counts().spans == 2
    finally:
        running.stop()
