"""Property: any span we can express goes in over any transport and comes out of the store equal."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_replay.core.records import (
    SPAN_KINDS,
    STATUS_CODES,
    AnyValue,
    Resource,
    Scope,
    Span,
    SpanEvent,
    SpanLink,
)
from otel_replay.otlp.convert import spans_to_request
from otel_replay.otlp.redact import Redactor
from otel_replay.receiver.serve import Receiver
from otel_replay.store import SqlSpanStore
from tests.receiver.clients import JSON, PROTOBUF, call_grpc, otlp_json, post_http
from tests.receiver.conftest import (
    grpc_port,
    http_port,
    module_receiver,
    second_connection,
)

UINT32 = st.integers(0, 2**32 - 1)
UINT64 = st.integers(0, 2**64 - 1)
# Lone surrogates cannot be encoded as UTF-8: protobuf refuses them before anything is sent.
CHARACTERS = st.characters(exclude_categories=["Cs"])
TEXT = st.text(CHARACTERS, max_size=12)
KEYS = st.text(CHARACTERS, max_size=8)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),  # NaN is never equal to itself
    TEXT,
    st.binary(max_size=8),
)
ANY_VALUES: st.SearchStrategy[AnyValue] = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=3)
    ),
    max_leaves=8,
)
ATTRIBUTES = st.dictionaries(KEYS, ANY_VALUES, max_size=4)


def _hex_ids(size: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=size, max_size=size).filter(any).map(bytes.hex)


EVENTS = st.builds(
    SpanEvent,
    name=TEXT,
    time_unix_nano=UINT64,
    attributes=ATTRIBUTES,
    dropped_attributes_count=UINT32,
)
LINKS = st.builds(
    SpanLink,
    trace_id=_hex_ids(16),
    span_id=_hex_ids(8),
    trace_state=TEXT,
    attributes=ATTRIBUTES,
    dropped_attributes_count=UINT32,
    flags=UINT32,
)
RESOURCES = st.builds(
    Resource,
    attributes=ATTRIBUTES,
    dropped_attributes_count=UINT32,
    schema_url=TEXT,
)
SCOPES = st.builds(
    Scope,
    name=TEXT,
    version=TEXT,
    attributes=ATTRIBUTES,
    dropped_attributes_count=UINT32,
    schema_url=TEXT,
)
SPANS = st.builds(
    Span,
    trace_id=_hex_ids(16),
    span_id=_hex_ids(8),
    name=TEXT,
    start_time_unix_nano=UINT64,
    end_time_unix_nano=UINT64,
    # All zeros is OTLP's "invalid" id and reads back as absent (tests/store covers that).
    parent_span_id=st.one_of(st.just(""), _hex_ids(8)),
    trace_state=TEXT,
    kind=st.sampled_from(SPAN_KINDS),
    attributes=ATTRIBUTES,
    dropped_attributes_count=UINT32,
    events=st.lists(EVENTS, max_size=2).map(tuple),
    dropped_events_count=UINT32,
    links=st.lists(LINKS, max_size=2).map(tuple),
    dropped_links_count=UINT32,
    status_code=st.sampled_from(STATUS_CODES),
    status_message=TEXT,
    flags=UINT32,
    resource=RESOURCES,
    scope=SCOPES,
)
SPAN_LISTS = st.lists(SPANS, min_size=1, max_size=5, unique_by=lambda s: (s.trace_id, s.span_id))


@pytest.fixture(scope="module")
def round_trip_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    # Redaction off: this checks that whatever was sent comes back unchanged.
    yield from module_receiver(
        tmp_path_factory, "round-trip", redactor=Redactor(default_rules=False)
    )


@pytest.fixture(scope="module")
def round_trip_store(round_trip_receiver: Receiver) -> Iterator[SqlSpanStore]:
    yield from second_connection(round_trip_receiver)


def _with_fresh_trace_ids(spans: list[Span]) -> list[Span]:
    """Examples share one store: give each example trace ids nothing else has used."""
    fresh: dict[str, str] = {}
    return [
        dataclasses.replace(span, trace_id=fresh.setdefault(span.trace_id, uuid.uuid4().hex))
        for span in spans
    ]


def _send(receiver: Receiver, transport: str, spans: list[Span]) -> None:
    request = spans_to_request(spans)
    if transport == "grpc-protobuf":
        answer = call_grpc(grpc_port(receiver), request.SerializeToString())
        assert answer.code is grpc.StatusCode.OK, answer.details
        assert answer.body == b""  # full success: no partial_success
        return
    if transport == "http-protobuf":
        http_answer = post_http(http_port(receiver), request.SerializeToString())
    else:
        http_answer = post_http(http_port(receiver), otlp_json(request), content_type=JSON)
    assert http_answer.status == 200, http_answer.body[:500]
    assert http_answer.body == (b"{}" if transport == "http-json" else b"")
    assert http_answer.content_type == (JSON if transport == "http-json" else PROTOBUF)


def _key(span: Span) -> tuple[str, str]:
    return (span.trace_id, span.span_id)


@pytest.mark.parametrize("transport", ["grpc-protobuf", "http-protobuf", "http-json"])
@settings(
    max_examples=30,
    # The profile's checks, plus: the generated span lists are large by design.
    suppress_health_check=[
        *settings.get_profile("otel-replay").suppress_health_check,
        HealthCheck.data_too_large,
    ],
)
@given(generated=SPAN_LISTS)
def test_random_spans_come_back_from_the_store_equal(
    round_trip_receiver: Receiver,
    round_trip_store: SqlSpanStore,
    transport: str,
    generated: list[Span],
) -> None:
    spans = _with_fresh_trace_ids(generated)
    _send(round_trip_receiver, transport, spans)
    stored = round_trip_store.get_spans(sorted({s.trace_id for s in spans}))
    assert sorted(stored, key=_key) == sorted(spans, key=_key)
    # == treats True as 1 and 1 as 1.0: the reprs also keep every value's type.
    assert repr(sorted(stored, key=_key)) == repr(sorted(spans, key=_key))
