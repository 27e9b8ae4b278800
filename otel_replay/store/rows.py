"""Pure: validate a decoded export request and turn it into rows for the store.

Spans are kept losslessly as their own serialized protobuf message (`span_pb`), with the
columns that queries need beside it; resource and scope are stored once per request group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.core.records import Resource, Scope, Span
from otel_replay.otlp.convert import (
    resource_from_pb2,
    scope_from_pb2,
    span_from_pb2,
    value_from_pb2,
)
from otel_replay.semconv.identity import (
    Identity,
    find_resource_identity,
    find_span_identity,
    identity_keys,
)
from otel_replay.semconv.model import SpanRole
from otel_replay.semconv.values import as_str
from otel_replay.store.ranks import NO_RANK as NO_RANK  # re-exported: rows use it

if TYPE_CHECKING:
    from otel_replay.otlp.redact import Redactor

# Index columns are signed 64-bit in both databases; the exact value stays in span_pb.
_MAX_INT64 = (1 << 63) - 1

_new_tuple = tuple.__new__

# What a span tells of its trace's turns (`spans.turn_mark`; migration 6 and the store's
# `count_trace_spans` spell these numbers). Listing sessions counts turns from these marks,
# by the rules the full rebuild applies (session/segments.py, session/turns.py):
# - a voice turn (LiveKit `user_turn`, a Pipecat `turn`: one with Pipecat's scope or keys, not
#   the OpenAI Agents SDK's agent-loop step of that name; an imported call's `voice.turn`) or
#   a replayed turn (`otel_replay.turn N`) is one turn each;
# - a trace whose root is a model call whose input ends with tool results continues the turn
#   of the trace before it (zero-code instrumentation traces each model call of an agent loop
#   on its own, docs/semconv.md section 10.5): it adds no turn, unless it opens its session;
# - any other trace is one turn.
TURN_MARK_NONE = 0
TURN_MARK_TURN = 1
TURN_MARK_CONTINUES = 2
_REPLAY_TURN_PREFIX = "otel_replay.turn "
_VOICE_TURN_NAMES = frozenset(("user_turn", "turn", "voice.turn"))


class ScopeRow(NamedTuple):
    """A row of `scopes`: field names are its column names."""

    scope_key: str
    resource_pb: bytes
    scope_pb: bytes
    resource_schema_url: str
    scope_schema_url: str
    service_name: str


class SpanRow(NamedTuple):
    """A row of `spans`: field names are its column names."""

    trace_id: str
    span_id: str
    parent_span_id: str  # "" for a root (absent or all-zero parent)
    name: str
    kind: int
    start_time_unix_nano: int
    end_time_unix_nano: int
    status_code: int
    # Where this span carried a session key; None also when an earlier span of its trace in
    # the same request already settled the trace's identity (the trace row is what counts).
    session_rank: int | None
    session_value: str | None
    scope_key: str
    span_pb: bytes
    turn_mark: int  # TURN_MARK_*


class LogRow(NamedTuple):
    """A row of `log_records`: field names are its column names."""

    record_key: str
    trace_id: str
    span_id: str
    time_unix_nano: int
    event_name: str
    scope_key: str
    record_pb: bytes
    # The record's position in its request (resource -> scope -> record). The writer numbers
    # a write's rows in this order from a store-wide counter (store/writing.py, write_logs).
    arrival_order: int


class TraceRow(NamedTuple):
    """What one write knows of a trace, to be merged into its `traces` row by the upsert."""

    trace_id: str
    session_id: str
    session_rank: int
    min_start_unix_nano: int
    max_end_unix_nano: int
    root_span_id: str | None
    root_name: str | None
    root_start_unix_nano: int | None
    service_name: str
    user_id: str | None
    user_rank: int


@dataclass
class SpanBatch:
    """The accepted rows of one request, and what was rejected and why."""

    scopes: list[ScopeRow] = field(default_factory=list)
    spans: list[SpanRow] = field(default_factory=list)
    # Per trace id, the best session and user ids its spans in this request carried.
    identities: dict[str, Identity] = field(default_factory=dict)
    rejected: int = 0
    error_message: str = ""


@dataclass
class LogBatch:
    scopes: list[ScopeRow] = field(default_factory=list)
    logs: list[LogRow] = field(default_factory=list)
    rejected: int = 0
    error_message: str = ""


_Batch = TypeVar("_Batch", SpanBatch, LogBatch)

_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


_ABSENT_IDS = frozenset((b"", _ZERO_SPAN_ID, _ZERO_TRACE_ID))


def hex_id(raw: bytes) -> str:
    """An id as we keep it: lowercase hex, "" when absent or all zeros (OTLP's "invalid")."""
    return "" if raw in _ABSENT_IDS else raw.hex()


def clear_zero_ids(pb2_message: Any, fields: Sequence[str]) -> None:
    """Clear the id fields of a stored protobuf message that hold all zeros, so the records
    read back carry "" for them, as `hex_id` does on the way in."""
    for name in fields:
        raw = getattr(pb2_message, name)
        if raw and raw in _ABSENT_IDS:
            pb2_message.ClearField(name)


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
        scope_key=digest.hexdigest()[:32],
        resource_pb=resource_pb,
        scope_pb=scope_pb,
        resource_schema_url=resource_schema_url,
        scope_schema_url=scope_schema_url,
        service_name=service_name,
    )


def _pb2_text(pb2_key_value: common_pb2.KeyValue) -> str | None:
    """An id from a protobuf attribute value, by the rule `as_str` applies to ours."""
    value = pb2_key_value.value
    which = value.WhichOneof("value")
    if which == "string_value":
        return as_str(value.string_value)
    if which == "int_value":
        return str(value.int_value)
    return None


def _records(
    pb2_resource: resource_pb2.Resource,
    resource_schema_url: str,
    pb2_scope: common_pb2.InstrumentationScope,
    scope_schema_url: str,
) -> tuple[Resource, Scope]:
    return resource_from_pb2(pb2_resource, resource_schema_url), scope_from_pb2(
        pb2_scope, scope_schema_url
    )


# The view a span is classified by keeps short attribute values only: `classify_span` reads
# kinds, operation and model names and asks whether content keys are present.
_VIEW_VALUE_BYTES = 256
_ELIDED = "\N{HORIZONTAL ELLIPSIS}"
# Roles by scope, span name and attribute keys: building the view costs more than the rest
# of a row, and spans of one kind from one instrumentation share their role.
_ROLES: dict[tuple[str, str, tuple[str, ...]], SpanRole] = {}
_MAX_ROLES = 4096


@cache
def _classifier() -> Callable[[Span], SpanRole]:
    """`classify_span`, imported on the first span that needs it (its conventions cost the
    receiver's start ~80 ms), not at each call (an import statement costs more than a root's
    cached role)."""
    from otel_replay.semconv.classify import classify_span

    return classify_span


def _role(pb2_span: trace_pb2.Span, scope_key: str, scope: Scope) -> SpanRole:
    keys = tuple([kv.key for kv in pb2_span.attributes])
    cache_key = (scope_key, pb2_span.name, keys)
    role = _ROLES.get(cache_key)
    if role is None:
        attributes = {
            kv.key: value_from_pb2(kv.value)
            if kv.value.ByteSize() <= _VIEW_VALUE_BYTES
            else _ELIDED
            for kv in pb2_span.attributes
        }
        view = Span("", "", pb2_span.name, 0, 0, attributes=attributes, scope=scope)
        role = _classifier()(view)
        if len(_ROLES) >= _MAX_ROLES:
            _ROLES.clear()
        _ROLES[cache_key] = role
    return role


def turn_mark(pb2_span: trace_pb2.Span, scope_key: str, resource: Resource, scope: Scope) -> int:
    """What the span tells of its trace's turns (TURN_MARK_*), by the rules above."""
    if pb2_span.name.startswith(_REPLAY_TURN_PREFIX):
        return TURN_MARK_TURN
    role = _role(pb2_span, scope_key, scope)
    if role in (SpanRole.USER_TURN, SpanRole.VOICE_TURN):
        return TURN_MARK_TURN
    if role is SpanRole.LLM and pb2_span.parent_span_id in _ABSENT_IDS:
        from otel_replay.semconv.normalise import llm_facts

        inputs = llm_facts(span_from_pb2(pb2_span, resource, scope)).input_messages
        if inputs and inputs[-1].tool_results:
            return TURN_MARK_CONTINUES
    return TURN_MARK_NONE


def _stored_bytes(scopes: Iterable[ScopeRow], records: Iterable[bytes]) -> Iterator[bytes]:
    for scope in scopes:
        yield scope.resource_pb
        yield scope.scope_pb
    yield from records


def _built_redacted(
    redactor: Redactor | None,
    build: Callable[[], _Batch],
    redact: Callable[[Redactor], None],
    stored: Callable[[_Batch], Iterable[bytes]],
) -> _Batch:
    if redactor is None or not redactor.enabled:
        return build()
    if not redactor.probes:  # custom rules give no quick look: redact first
        redact(redactor)
        return build()
    batch = build()
    if redactor.may_hold_secret_in(stored(batch)):
        redact(redactor)
        batch = build()
    return batch


def build_span_batch(
    request: trace_service_pb2.ExportTraceServiceRequest,
    session_keys: tuple[str, ...],
    redactor: Redactor | None = None,
) -> SpanBatch:
    """Validate every span and build store rows; bad ids are rejected, not fatal.

    With a redactor the rows hold nothing its rules would replace: their bytes (serialised
    here anyway) get one look, and only a request that may hold a secret is redacted and its
    rows built again."""
    return _built_redacted(
        redactor,
        lambda: _build_span_batch(request, session_keys),
        lambda r: r.redact_traces(request),
        lambda batch: _stored_bytes(batch.scopes, (s.span_pb for s in batch.spans)),
    )


def _build_span_batch(
    request: trace_service_pb2.ExportTraceServiceRequest, session_keys: tuple[str, ...]
) -> SpanBatch:
    keys = identity_keys(session_keys)
    batch = SpanBatch()
    identities = batch.identities
    settled: set[bytes] = set()
    append = batch.spans.append
    bad_ids = 0
    wanted = keys.wanted
    for resource_spans in request.resource_spans:
        resource_identity = find_resource_identity(
            keys,
            [(key, kv) for kv in resource_spans.resource.attributes if (key := kv.key) in wanted],
            _pb2_text,
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
            scope_key = scope.scope_key
            records: tuple[Resource, Scope] | None = None
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
                trace_hex = trace_id.hex()
                session = None
                if trace_id not in settled:
                    # Once a trace showed the best session and user keys there are, the
                    # rest of its spans cannot change what it resolves to: not scanned.
                    own = resource_identity
                    # A cheap first pass: most attributes are not identity keys.
                    hits = [(key, kv) for kv in pb2_span.attributes if (key := kv.key) in wanted]
                    if hits:
                        own = find_span_identity(keys, pb2_span.name, hits, _pb2_text, own)
                    known = identities.get(trace_hex)
                    found = own if known is None else known.best(own)
                    identities[trace_hex] = found
                    if found.settled:
                        settled.add(trace_id)
                    session = own.session
                name = pb2_span.name
                span_pb = pb2_span.SerializeToString()
                # `parent` is 0 or 8 bytes here: a root when empty or all zeros.
                is_root = not parent or parent == _ZERO_SPAN_ID
                mark = TURN_MARK_NONE
                # A cheap look first (as `turn_mark` reads): most spans cannot mark a turn.
                if is_root or name in _VOICE_TURN_NAMES or name.startswith(_REPLAY_TURN_PREFIX):
                    if records is None:
                        records = _records(
                            resource_spans.resource,
                            resource_spans.schema_url,
                            scope_spans.scope,
                            scope_spans.schema_url,
                        )
                    mark = turn_mark(pb2_span, scope.scope_key, *records)
                start = pb2_span.start_time_unix_nano
                end = pb2_span.end_time_unix_nano
                # Positional, in SpanRow's field order, without the named tuple's own
                # constructor (a Python function): this runs for every span received.
                append(
                    _new_tuple(
                        SpanRow,
                        (
                            trace_hex,
                            span_id.hex(),
                            "" if is_root else parent.hex(),
                            name,
                            pb2_span.kind,
                            start if start <= _MAX_INT64 else _MAX_INT64,
                            end if end <= _MAX_INT64 else _MAX_INT64,
                            pb2_span.status.code,
                            session.rank if session else None,
                            session.value if session else None,
                            scope_key,
                            span_pb,
                            mark,
                        ),
                    )
                )
    if bad_ids:
        batch.rejected = bad_ids
        batch.error_message = (
            f"{bad_ids} span(s) rejected: trace_id must be 16 non-zero bytes, span_id 8 non-zero "
            "bytes, parent_span_id empty or 8 bytes"
        )
    return batch


def build_log_batch(
    request: logs_service_pb2.ExportLogsServiceRequest, redactor: Redactor | None = None
) -> LogBatch:
    """Validate log records and build rows; identical re-sent records share one key. With a
    redactor, as `build_span_batch`."""
    return _built_redacted(
        redactor,
        lambda: _build_log_batch(request),
        lambda r: r.redact_logs(request),
        lambda batch: _stored_bytes(batch.scopes, (r.record_pb for r in batch.logs)),
    )


def _build_log_batch(request: logs_service_pb2.ExportLogsServiceRequest) -> LogBatch:
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
                time_unix_nano = pb2_log.time_unix_nano or pb2_log.observed_time_unix_nano
                batch.logs.append(
                    LogRow(
                        record_key=key,
                        trace_id=hex_id(pb2_log.trace_id),
                        span_id=hex_id(pb2_log.span_id),
                        time_unix_nano=min(time_unix_nano, _MAX_INT64),
                        event_name=pb2_log.event_name,
                        scope_key=scope.scope_key,
                        record_pb=record_pb,
                        arrival_order=len(batch.logs),
                    )
                )
    if batch.rejected:
        batch.error_message = (
            f"{batch.rejected} log record(s) rejected: trace_id must be empty or 16 bytes, "
            "span_id empty or 8 bytes"
        )
    return batch


def build_trace_rows(
    spans: Iterable[SpanRow],
    identities: Mapping[str, Identity],
    services: Mapping[str, str],
) -> list[TraceRow]:
    """One row per trace of these spans, sorted by trace id, merged the way the upsert
    merges rows (so spans may arrive in any order, in any number of writes).

    `identities` holds each trace's best session and user ids; `services` the service name
    of each scope key (a trace takes its root's).
    """
    # Per trace: [min start, max end, root span or None, scope key of the first span]. This
    # runs in the writer for every span stored: positional, without named-tuple lookups.
    extents: dict[str, list[Any]] = {}
    get = extents.get
    for span in spans:
        trace_id, _, parent, _, _, start, end, _, _, _, scope_key, _, _ = span
        extent = get(trace_id)
        if extent is None:
            extents[trace_id] = [start, end, None if parent else span, scope_key]
            continue
        if start < extent[0]:
            extent[0] = start
        if end > extent[1]:
            extent[1] = end
        if not parent and extent[2] is None:
            extent[2] = span
    rows = []
    no_identity = Identity()
    for trace_id in sorted(extents):
        min_start, max_end, root, first_scope = extents[trace_id]
        session, user = identities.get(trace_id, no_identity)
        # A trace takes its root's service, else its first span's.
        service_name = services.get(root.scope_key if root else first_scope, "")
        rows.append(
            TraceRow(
                trace_id,
                session.value if session else trace_id,
                session.rank if session else NO_RANK,
                min_start,
                max_end,
                root.span_id if root else None,
                root.name if root else None,
                root.start_time_unix_nano if root else None,
                service_name,
                user.value if user else None,
                user.rank if user else NO_RANK,
            )
        )
    return rows
