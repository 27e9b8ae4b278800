"""Pure conversion between OTLP protobuf messages (`pb2_*`) and our records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.core.records import (
    SPAN_KINDS,
    STATUS_CODES,
    AnyValue,
    Attributes,
    LogRecord,
    Resource,
    Scope,
    Span,
    SpanEvent,
    SpanKind,
    SpanLink,
    StatusCode,
)


def value_from_pb2(pb2_value: common_pb2.AnyValue) -> AnyValue:
    """Convert one protobuf AnyValue to Python data (kvlist -> dict, array -> list)."""
    which = pb2_value.WhichOneof("value")
    # The scalar fields already read as str, int, bool, float and bytes.
    if which == "string_value":
        return pb2_value.string_value
    if which == "int_value":
        return pb2_value.int_value
    if which == "bool_value":
        return pb2_value.bool_value
    if which == "double_value":
        return pb2_value.double_value
    if which == "bytes_value":
        return pb2_value.bytes_value
    if which == "array_value":
        return [value_from_pb2(v) for v in pb2_value.array_value.values]
    if which == "kvlist_value":
        return attributes_from_pb2(pb2_value.kvlist_value.values)
    return None


def attributes_from_pb2(pb2_key_values: Iterable[common_pb2.KeyValue]) -> Attributes:
    """Convert repeated KeyValue to a dict; a repeated key keeps its last value."""
    attributes: Attributes = {}
    for kv in pb2_key_values:
        value = kv.value
        # Most attribute values are strings: read them without the call.
        if value.WhichOneof("value") == "string_value":
            attributes[kv.key] = value.string_value
        else:
            attributes[kv.key] = value_from_pb2(value)
    return attributes


def value_to_pb2(
    value: AnyValue, pb2_value: common_pb2.AnyValue | None = None
) -> common_pb2.AnyValue:
    """Convert Python data to a protobuf AnyValue (the inverse of `value_from_pb2`)."""
    out = pb2_value if pb2_value is not None else common_pb2.AnyValue()
    if value is None:
        return out
    if isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int):
        out.int_value = value
    elif isinstance(value, float):
        out.double_value = value
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, bytes):
        out.bytes_value = value
    elif isinstance(value, list):
        out.array_value.SetInParent()
        for item in value:
            value_to_pb2(item, out.array_value.values.add())
    elif isinstance(value, dict):
        out.kvlist_value.SetInParent()
        attributes_to_pb2(value, out.kvlist_value.values)
    return out


def attributes_to_pb2(attributes: Attributes, target: Any) -> None:
    """Append attributes as KeyValue messages to a repeated field."""
    for key, value in attributes.items():
        kv = target.add()
        kv.key = key
        value_to_pb2(value, kv.value)


def resource_from_pb2(pb2_resource: resource_pb2.Resource, schema_url: str = "") -> Resource:
    return Resource(
        attributes=attributes_from_pb2(pb2_resource.attributes),
        dropped_attributes_count=pb2_resource.dropped_attributes_count,
        schema_url=schema_url,
    )


def scope_from_pb2(pb2_scope: common_pb2.InstrumentationScope, schema_url: str = "") -> Scope:
    return Scope(
        name=pb2_scope.name,
        version=pb2_scope.version,
        attributes=attributes_from_pb2(pb2_scope.attributes),
        dropped_attributes_count=pb2_scope.dropped_attributes_count,
        schema_url=schema_url,
    )


def resource_to_pb2(resource: Resource) -> resource_pb2.Resource:
    pb2_resource = resource_pb2.Resource(dropped_attributes_count=resource.dropped_attributes_count)
    attributes_to_pb2(resource.attributes, pb2_resource.attributes)
    return pb2_resource


def scope_to_pb2(scope: Scope) -> common_pb2.InstrumentationScope:
    pb2_scope = common_pb2.InstrumentationScope(
        name=scope.name,
        version=scope.version,
        dropped_attributes_count=scope.dropped_attributes_count,
    )
    attributes_to_pb2(scope.attributes, pb2_scope.attributes)
    return pb2_scope


def _kind_from_int(value: int) -> SpanKind:
    return SPAN_KINDS[value] if 0 <= value < len(SPAN_KINDS) else SpanKind.UNSPECIFIED


def _status_from_int(value: int) -> StatusCode:
    return STATUS_CODES[value] if 0 <= value < len(STATUS_CODES) else StatusCode.UNSET


def span_from_pb2(pb2_span: trace_pb2.Span, resource: Resource, scope: Scope) -> Span:
    """Convert one protobuf span (with its resource and scope records) to our record."""
    return Span(
        trace_id=pb2_span.trace_id.hex(),
        span_id=pb2_span.span_id.hex(),
        parent_span_id=pb2_span.parent_span_id.hex(),
        trace_state=pb2_span.trace_state,
        name=pb2_span.name,
        kind=_kind_from_int(pb2_span.kind),
        start_time_unix_nano=pb2_span.start_time_unix_nano,
        end_time_unix_nano=pb2_span.end_time_unix_nano,
        attributes=attributes_from_pb2(pb2_span.attributes),
        dropped_attributes_count=pb2_span.dropped_attributes_count,
        events=()
        if not pb2_span.events
        else tuple(
            SpanEvent(
                name=e.name,
                time_unix_nano=e.time_unix_nano,
                attributes=attributes_from_pb2(e.attributes),
                dropped_attributes_count=e.dropped_attributes_count,
            )
            for e in pb2_span.events
        ),
        dropped_events_count=pb2_span.dropped_events_count,
        links=()
        if not pb2_span.links
        else tuple(
            SpanLink(
                trace_id=link.trace_id.hex(),
                span_id=link.span_id.hex(),
                trace_state=link.trace_state,
                attributes=attributes_from_pb2(link.attributes),
                dropped_attributes_count=link.dropped_attributes_count,
                flags=link.flags,
            )
            for link in pb2_span.links
        ),
        dropped_links_count=pb2_span.dropped_links_count,
        status_code=_status_from_int(pb2_span.status.code),
        status_message=pb2_span.status.message,
        flags=pb2_span.flags,
        resource=resource,
        scope=scope,
    )


def span_to_pb2(span: Span) -> trace_pb2.Span:
    """Convert our span record to a protobuf span (resource and scope are not part of it)."""
    pb2_span = trace_pb2.Span(
        trace_id=bytes.fromhex(span.trace_id),
        span_id=bytes.fromhex(span.span_id),
        parent_span_id=bytes.fromhex(span.parent_span_id),
        trace_state=span.trace_state,
        name=span.name,
        kind=SPAN_KINDS.index(span.kind),  # type: ignore[arg-type]
        start_time_unix_nano=span.start_time_unix_nano,
        end_time_unix_nano=span.end_time_unix_nano,
        dropped_attributes_count=span.dropped_attributes_count,
        dropped_events_count=span.dropped_events_count,
        dropped_links_count=span.dropped_links_count,
        flags=span.flags,
    )
    attributes_to_pb2(span.attributes, pb2_span.attributes)
    for event in span.events:
        pb2_event = pb2_span.events.add(
            name=event.name,
            time_unix_nano=event.time_unix_nano,
            dropped_attributes_count=event.dropped_attributes_count,
        )
        attributes_to_pb2(event.attributes, pb2_event.attributes)
    for link in span.links:
        pb2_link = pb2_span.links.add(
            trace_id=bytes.fromhex(link.trace_id),
            span_id=bytes.fromhex(link.span_id),
            trace_state=link.trace_state,
            dropped_attributes_count=link.dropped_attributes_count,
            flags=link.flags,
        )
        attributes_to_pb2(link.attributes, pb2_link.attributes)
    pb2_span.status.code = STATUS_CODES.index(span.status_code)  # type: ignore[assignment]
    pb2_span.status.message = span.status_message
    return pb2_span


def spans_to_request(spans: Iterable[Span]) -> trace_service_pb2.ExportTraceServiceRequest:
    """Group span records by resource and scope into one export request."""
    request = trace_service_pb2.ExportTraceServiceRequest()
    groups: dict[tuple[bytes, bytes, str, str], Any] = {}
    for span in spans:
        pb2_resource = resource_to_pb2(span.resource)
        pb2_scope = scope_to_pb2(span.scope)
        key = (
            pb2_resource.SerializeToString(deterministic=True),
            pb2_scope.SerializeToString(deterministic=True),
            span.resource.schema_url,
            span.scope.schema_url,
        )
        scope_spans = groups.get(key)
        if scope_spans is None:
            resource_spans = request.resource_spans.add(schema_url=span.resource.schema_url)
            resource_spans.resource.CopyFrom(pb2_resource)
            scope_spans = resource_spans.scope_spans.add(schema_url=span.scope.schema_url)
            scope_spans.scope.CopyFrom(pb2_scope)
            groups[key] = scope_spans
        scope_spans.spans.append(span_to_pb2(span))
    return request


def spans_from_request(request: trace_service_pb2.ExportTraceServiceRequest) -> Iterator[Span]:
    """Every span of an export request as a record, without validation."""
    for resource_spans in request.resource_spans:
        resource = resource_from_pb2(resource_spans.resource, resource_spans.schema_url)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_from_pb2(scope_spans.scope, scope_spans.schema_url)
            for pb2_span in scope_spans.spans:
                yield span_from_pb2(pb2_span, resource, scope)


def log_record_from_pb2(pb2_log: logs_pb2.LogRecord, resource: Resource, scope: Scope) -> LogRecord:
    return LogRecord(
        time_unix_nano=pb2_log.time_unix_nano,
        observed_time_unix_nano=pb2_log.observed_time_unix_nano,
        severity_number=pb2_log.severity_number,
        severity_text=pb2_log.severity_text,
        body=value_from_pb2(pb2_log.body) if pb2_log.HasField("body") else None,
        attributes=attributes_from_pb2(pb2_log.attributes),
        dropped_attributes_count=pb2_log.dropped_attributes_count,
        flags=pb2_log.flags,
        trace_id=pb2_log.trace_id.hex(),
        span_id=pb2_log.span_id.hex(),
        event_name=pb2_log.event_name,
        resource=resource,
        scope=scope,
    )


def log_records_from_request(
    request: logs_service_pb2.ExportLogsServiceRequest,
) -> Iterator[LogRecord]:
    for resource_logs in request.resource_logs:
        resource = resource_from_pb2(resource_logs.resource, resource_logs.schema_url)
        for scope_logs in resource_logs.scope_logs:
            scope = scope_from_pb2(scope_logs.scope, scope_logs.schema_url)
            for pb2_log in scope_logs.log_records:
                yield log_record_from_pb2(pb2_log, resource, scope)
