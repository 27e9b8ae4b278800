"""Small builders of span records and export requests for tests."""

from __future__ import annotations

from otel_replay.core.records import AnyValue, Resource, Scope, Span, SpanKind
from otel_replay.otlp.convert import spans_to_request
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.store.rows import SpanBatch, build_span_batch

T0 = 1_768_471_200_000_000_000
SECOND = 1_000_000_000


def make_span(
    trace: int,
    span: int,
    parent: int | None = None,
    *,
    name: str = "step",
    start: int = 0,
    duration: int = SECOND,
    attributes: dict[str, AnyValue] | None = None,
    service: str = "svc",
) -> Span:
    """A span with ids derived from small integers, times relative to T0 in nanoseconds."""
    return Span(
        trace_id=f"{trace:032x}",
        span_id=f"{span:016x}",
        parent_span_id=f"{parent:016x}" if parent is not None else "",
        name=name,
        kind=SpanKind.INTERNAL,
        start_time_unix_nano=T0 + start,
        end_time_unix_nano=T0 + start + duration,
        attributes=attributes or {},
        resource=Resource(attributes={"service.name": service}),
        scope=Scope(name="tests"),
    )


def batch_of(*spans: Span) -> SpanBatch:
    return build_span_batch(spans_to_request(spans), DEFAULT_SESSION_KEYS)
