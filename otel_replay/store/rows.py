"""Pure: validate a decoded export request and turn it into rows for the store.

Spans are kept losslessly as their own serialized protobuf message (`span_pb`), with the
columns that queries need beside it; resource and scope are stored once per request group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2

from otel_replay.semconv.keys import DEFAULT_USER_KEYS

# Index columns are signed 64-bit in both databases; the exact value stays in span_pb.
_MAX_INT64 = (1 << 63) - 1


class ScopeRow(NamedTuple):
    scope_key: str
    resource_pb: bytes
    scope_pb: bytes
    resource_schema_url: str
    scope_schema_url: str
    service_name: str


class SpanRow(NamedTuple):
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    start_time_unix_nano: int
    end_time_unix_nano: int
    status_code: int
    # Where this span carried a session key; None also when an earlier span of its trace in
    # the same request already settled the trace's session (the trace row is what counts).
    session_rank: int | None
    session_value: str | None
    scope_key: str
    span_pb: bytes
    user_value: str | None = None  # not a column of spans: summarised per trace


class LogRow(NamedTuple):
    record_key: str
    trace_id: str
    span_id: str
    time_unix_nano: int
    event_name: str
    scope_key: str
    record_pb: bytes


@dataclass
class SpanBatch:
    """The accepted rows of one request, and what was rejected and why."""

    scopes: list[ScopeRow] = field(default_factory=list)
    spans: list[SpanRow] = field(default_factory=list)
    rejected: int = 0
    error_message: str = ""


@dataclass
class LogBatch:
    scopes: list[ScopeRow] = field(default_factory=list)
    logs: list[LogRow] = field(default_factory=list)
    rejected: int = 0
    error_message: str = ""


_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


def _scope_row(
    pb2_resource: resource_pb2.Resource,
    resource_schema_url: str,
    pb2_scope: common_pb2.InstrumentationScope,
    scope_schema_url: str,
) -> ScopeRow:
    resource_pb = pb2_resource.SerializeToString(deterministic=True)
    scope_pb = pb2_scope.SerializeToString(deterministic=True)
    digest = hashlib.sha256()
    for part in (resource_pb, scope_pb, resource_schema_url.encode(), scope_schema_url.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    service_name = ""
    for kv in pb2_resource.attributes:
        if kv.key == "service.name":
            service_name = kv.value.string_value
    return ScopeRow(
        digest.hexdigest()[:32],
        resource_pb,
        scope_pb,
        resource_schema_url,
        scope_schema_url,
        service_name,
    )


# key -> (rank among session keys, rank among user keys); one lookup per attribute.
_Ranks = Mapping[str, tuple[int | None, int | None]]


def _identity_ranks(session_keys: tuple[str, ...]) -> dict[str, tuple[int | None, int | None]]:
    session_rank = {key: i for i, key in enumerate(session_keys)}
    user_rank = {key: i for i, key in enumerate(DEFAULT_USER_KEYS)}
    return {key: (session_rank.get(key), user_rank.get(key)) for key in (*session_rank, *user_rank)}


def _identity_candidates(
    pb2_key_values: object, ranks: _Ranks, offset: int
) -> tuple[tuple[int, str] | None, tuple[int, str] | None]:
    """The best-ranked session and user ids among these attributes (one pass)."""
    session: tuple[int, str] | None = None
    user: tuple[int, str] | None = None
    get = ranks.get
    for kv in pb2_key_values:  # type: ignore[attr-defined]
        ranked = get(kv.key)
        if ranked is None:
            continue
        value = kv.value
        which = value.WhichOneof("value")
        if which == "string_value":
            text = value.string_value
        elif which == "int_value":
            text = str(value.int_value)
        else:
            continue
        if not text:
            continue
        rank, urank = ranked
        if rank is not None and (session is None or rank + offset < session[0]):
            session = (rank + offset, text)
        if urank is not None and (user is None or urank + offset < user[0]):
            user = (urank + offset, text)
    return session, user


def build_span_batch(
    request: trace_service_pb2.ExportTraceServiceRequest, session_keys: tuple[str, ...]
) -> SpanBatch:
    """Validate every span and build store rows; bad ids are rejected, not fatal."""
    ranks = _identity_ranks(session_keys)
    resource_offset = len(session_keys) + len(DEFAULT_USER_KEYS)
    batch = SpanBatch()
    bad_ids = 0
    settled: set[bytes] = set()
    for resource_spans in request.resource_spans:
        resource_session, resource_user = _identity_candidates(
            resource_spans.resource.attributes, ranks, resource_offset
        )
        for scope_spans in resource_spans.scope_spans:
            if not scope_spans.spans:
                continue
            scope = _scope_row(
                resource_spans.resource,
                resource_spans.schema_url,
                scope_spans.scope,
                scope_spans.schema_url,
            )
            batch.scopes.append(scope)
            for pb2_span in scope_spans.spans:
                trace_id = pb2_span.trace_id
                span_id = pb2_span.span_id
                parent = pb2_span.parent_span_id
                if (
                    len(trace_id) != 16
                    or trace_id == _ZERO_TRACE_ID
                    or len(span_id) != 8
                    or span_id == _ZERO_SPAN_ID
                    or len(parent) not in (0, 8)
                ):
                    bad_ids += 1
                    continue
                if trace_id in settled:
                    # This trace already showed the best session and user keys there are
                    # in this batch; the rest of its spans cannot change what it resolves to.
                    session = user = None
                else:
                    session, user = _identity_candidates(pb2_span.attributes, ranks, 0)
                    session = session or resource_session
                    user = user or resource_user
                    if session and session[0] == 0 and user and user[0] == 0:
                        settled.add(trace_id)
                batch.spans.append(
                    SpanRow(
                        trace_id.hex(),
                        span_id.hex(),
                        "" if parent == _ZERO_SPAN_ID else parent.hex(),
                        pb2_span.name,
                        pb2_span.kind,
                        min(pb2_span.start_time_unix_nano, _MAX_INT64),
                        min(pb2_span.end_time_unix_nano, _MAX_INT64),
                        pb2_span.status.code,
                        session[0] if session else None,
                        session[1] if session else None,
                        scope.scope_key,
                        pb2_span.SerializeToString(),
                        user[1] if user else None,
                    )
                )
    if bad_ids:
        batch.rejected = bad_ids
        batch.error_message = (
            f"{bad_ids} span(s) rejected: trace_id must be 16 non-zero bytes, span_id 8 non-zero "
            "bytes, parent_span_id empty or 8 bytes"
        )
    return batch


def build_log_batch(request: logs_service_pb2.ExportLogsServiceRequest) -> LogBatch:
    """Validate log records and build rows; identical re-sent records share one key."""
    batch = LogBatch()
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            if not scope_logs.log_records:
                continue
            scope = _scope_row(
                resource_logs.resource,
                resource_logs.schema_url,
                scope_logs.scope,
                scope_logs.schema_url,
            )
            batch.scopes.append(scope)
            for pb2_log in scope_logs.log_records:
                if len(pb2_log.trace_id) not in (0, 16) or len(pb2_log.span_id) not in (0, 8):
                    batch.rejected += 1
                    continue
                record_pb = pb2_log.SerializeToString(deterministic=True)
                key = hashlib.sha256(scope.scope_key.encode() + record_pb).hexdigest()[:32]
                batch.logs.append(
                    LogRow(
                        key,
                        pb2_log.trace_id.hex(),
                        pb2_log.span_id.hex(),
                        min(pb2_log.time_unix_nano or pb2_log.observed_time_unix_nano, _MAX_INT64),
                        pb2_log.event_name,
                        scope.scope_key,
                        record_pb,
                    )
                )
    if batch.rejected:
        batch.error_message = (
            f"{batch.rejected} log record(s) rejected: trace_id must be empty or 16 bytes, "
            "span_id empty or 8 bytes"
        )
    return batch
