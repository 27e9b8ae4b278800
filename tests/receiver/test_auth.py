"""--auth-token: wrong or missing tokens are refused on both transports; open binds are refused."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence

import grpc
import pytest
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult

from otel_replay.core.errors import BadInputError
from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Endpoint, Receiver, ServeConfig
from otel_replay.store import SqlSpanStore
from tests.builders import make_span
from tests.receiver import sdk_session as rec
from tests.receiver.clients import JSON, PROTOBUF, call_grpc, otlp_json, post_http
from tests.receiver.conftest import (
    grpc_port,
    http_port,
    module_receiver,
    second_connection,
)

TOKEN = "s3cret-token"
WRONG_AUTHORIZATIONS = [
    pytest.param(None, id="missing"),
    pytest.param("Bearer wrong-token", id="wrong"),
    pytest.param(TOKEN, id="no_bearer_prefix"),
    pytest.param(f"Basic {TOKEN}", id="other_scheme"),
    pytest.param(f"Bearer {TOKEN}x", id="longer"),
]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """Auth does not depend on the dialect: one receiver on SQLite for the module."""
    yield from module_receiver(tmp_path_factory, "auth", auth_token=TOKEN)


@pytest.fixture
def store(guarded: Receiver) -> Iterator[SqlSpanStore]:
    """A second connection to the guarded store (shared by the module: tests compare counts)."""
    yield from second_connection(guarded)


def _export_over_both(
    receiver: Receiver, spans: Sequence[ReadableSpan], authorization: str
) -> list[SpanExportResult]:
    """What the official gRPC and HTTP exporters (in that order) make of exporting `spans`."""
    headers = {"authorization": authorization}
    grpc_exporter = GrpcSpanExporter(
        endpoint=f"127.0.0.1:{grpc_port(receiver)}", insecure=True, headers=headers
    )
    http_exporter = HttpSpanExporter(
        endpoint=f"http://127.0.0.1:{http_port(receiver)}/v1/traces", headers=headers
    )
    try:
        return [grpc_exporter.export(spans), http_exporter.export(spans)]
    finally:
        grpc_exporter.shutdown()
        http_exporter.shutdown()  # type: ignore[no-untyped-call]


def _body() -> bytes:
    return spans_to_request([make_span(1, 1)]).SerializeToString()


@pytest.mark.parametrize("authorization", WRONG_AUTHORIZATIONS)
def test_http_without_the_right_token_is_401_and_nothing_is_stored(
    guarded: Receiver, store: SqlSpanStore, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    spans_before = store.counts().spans
    answer = post_http(http_port(guarded), _body(), headers=headers)
    assert answer.status == 401
    assert answer.content_type == PROTOBUF
    status = status_pb2.Status.FromString(answer.body)
    assert (status.code, status.message) == (
        grpc.StatusCode.UNAUTHENTICATED.value[0],
        "missing or wrong bearer token",
    )
    json_answer = post_http(
        http_port(guarded),
        otlp_json(spans_to_request([make_span(2, 2)])),
        content_type=JSON,
        headers=headers,
    )
    assert json_answer.status == 401
    assert json_answer.content_type == JSON
    assert json.loads(json_answer.body) == {
        "code": grpc.StatusCode.UNAUTHENTICATED.value[0],
        "message": "missing or wrong bearer token",
    }
    assert store.counts().spans == spans_before


@pytest.mark.parametrize("authorization", WRONG_AUTHORIZATIONS)
def test_grpc_without_the_right_token_is_unauthenticated_and_nothing_is_stored(
    guarded: Receiver, store: SqlSpanStore, authorization: str | None
) -> None:
    metadata = [("authorization", authorization)] if authorization is not None else []
    spans_before = store.counts().spans
    refused_before = guarded.ingestor.counters["errors_unauthenticated"]
    answer = call_grpc(grpc_port(guarded), _body(), metadata=metadata)
    assert answer.code is grpc.StatusCode.UNAUTHENTICATED
    assert answer.details == "missing or wrong bearer token"
    assert store.counts().spans == spans_before
    assert guarded.ingestor.counters["errors_unauthenticated"] == refused_before + 1  # summarised


def test_official_exporters_with_the_right_token_are_stored(
    guarded: Receiver, store: SqlSpanStore
) -> None:
    spans = rec.record_session().spans
    trace_ids = [rec.TURN_1_TRACE_ID, rec.TURN_2_TRACE_ID]
    refused_before = guarded.ingestor.counters["errors_unauthenticated"]
    results = _export_over_both(guarded, spans, f"Bearer {TOKEN}")
    assert results == [SpanExportResult.SUCCESS, SpanExportResult.SUCCESS]
    assert len(store.get_spans(trace_ids)) == len(spans)
    assert guarded.ingestor.counters["errors_unauthenticated"] == refused_before


def test_official_exporters_with_a_wrong_token_fail_without_retrying(
    guarded: Receiver, store: SqlSpanStore
) -> None:
    spans = rec.record_session().spans
    spans_before = store.counts().spans
    counters_before = Counter(guarded.ingestor.counters)
    results = _export_over_both(guarded, spans, "Bearer nope")
    assert results == [SpanExportResult.FAILURE, SpanExportResult.FAILURE]
    assert store.counts().spans == spans_before
    # One attempt each: 401 and UNAUTHENTICATED are not retryable.
    refused = guarded.ingestor.counters - counters_before
    assert refused == Counter({"errors_unauthenticated": 2, "http_requests": 1, "grpc_requests": 1})


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_listening_beyond_loopback_without_token_or_tls_is_refused(
    host: str, transport: str, sqlite_url: str
) -> None:
    endpoint = Endpoint(host, 0)
    config = ServeConfig(
        grpc=endpoint if transport == "grpc" else None,
        http=endpoint if transport == "http" else None,
        store_url=sqlite_url,
    )
    with pytest.raises(BadInputError, match=r"\(not loopback\) requires --auth-token or TLS"):
        Receiver(config)


def test_non_loopback_config_passes_its_check_once_a_token_is_set(sqlite_url: str) -> None:
    config = ServeConfig(
        grpc=Endpoint("0.0.0.0", 0), http=None, store_url=sqlite_url, auth_token=TOKEN
    )
    config.check()  # no bind here: tests listen on 127.0.0.1 only


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_no_token(host: str, sqlite_url: str) -> None:
    ServeConfig(grpc=Endpoint(host, 0), http=None, store_url=sqlite_url).check()


def test_receiver_listens_on_loopback_unless_told_otherwise() -> None:
    config = ServeConfig()
    assert (config.grpc, config.http) == (Endpoint("127.0.0.1", 4317), Endpoint("127.0.0.1", 4318))
    assert config.auth_token is None
