"""Capturing the spans a replayed agent makes, and storing them with links to the originals.

The replay installs an SDK TracerProvider when the application has none, and otherwise adds
its processor to the application's provider: every span the agent's instrumentation makes
(openai instrumentations, LangChain, manual spans) under a replay trace is captured. So are
the traces the agent starts during a turn on threads that lost the OTel context (thread
pools, `run_in_executor`): `sealing` says which turn adopts them, and they are stored in the
replay trace, their roots under that turn's span.

An agent in another process (an HTTP agent service) continues the replay's `traceparent` and
exports its spans over OTLP to the replay's loopback endpoint (`remote`): `add_received`
keeps those of a captured trace, and they are stored with the in-process spans, in the same
export request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Span as SdkSpan

from otel_replay.replay.sealing import Adoption, adopt_trace
from otel_replay.semconv.keys import REPLAY_TRACER_NAME

_INSTALL_LOCK = threading.Lock()
_CAPTURE: SpanCapture | None = None


@dataclass(frozen=True)
class CapturedTrace:
    """A replay trace's finished spans, the traces its turns adopted (by trace id, the turn
    span id their roots join), and the spans received over OTLP from agent services."""

    trace_id: int
    spans: list[ReadableSpan]
    adopted: Mapping[int, int]
    received: Sequence[trace_pb2.ResourceSpans] = ()


class SpanCapture(SpanProcessor):
    """Keeps the finished spans of registered trace ids, and of the traces they adopt, until
    they are taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._spans: dict[int, list[ReadableSpan]] = {}
        self._adopted: dict[int, Adoption] = {}
        self._received: dict[int, list[trace_pb2.ResourceSpans]] = {}
        # Per captured trace, the parent span ids of the spans received for it.
        self._received_parents: dict[int, set[int]] = {}

    def register(self, trace_id: int) -> None:
        with self._lock:
            self._spans.setdefault(trace_id, [])

    def is_capturing(self, trace_id: int | None = None) -> bool:
        """Whether `trace_id` (None: any trace) is captured now, as its own or adopted."""
        with self._lock:
            if trace_id is None:
                return bool(self._spans)
            return self._owner(trace_id) is not None

    def take(self, trace_id: int) -> CapturedTrace:
        """The trace's finished spans; the trace is no longer captured afterwards."""
        with self._lock:
            adopted = {t: a for t, a in self._adopted.items() if a.replay_trace_id == trace_id}
            for adopted_trace_id in adopted:
                del self._adopted[adopted_trace_id]
            spans = self._spans.pop(trace_id, [])
            received = self._received.pop(trace_id, [])
            self._received_parents.pop(trace_id, None)
        return CapturedTrace(
            trace_id, spans, {t: a.turn_span_id for t, a in adopted.items()}, received
        )

    def snapshot(self, trace_id: int, start: int = 0) -> CapturedTrace:
        """The trace's spans finished so far, from the `start`-th on; the trace stays
        captured (a replay reads the turn it has just run)."""
        with self._lock:
            adopted = {
                t: a.turn_span_id for t, a in self._adopted.items() if a.replay_trace_id == trace_id
            }
            spans = self._spans.get(trace_id, [])[start:]
            received = list(self._received.get(trace_id, []))
        return CapturedTrace(trace_id, spans, adopted, received)

    def _owner(self, trace_id: int) -> int | None:
        adoption = self._adopted.get(trace_id)
        owner = adoption.replay_trace_id if adoption is not None else trace_id
        return owner if owner in self._spans else None

    def add_received(self, request: trace_service_pb2.ExportTraceServiceRequest) -> int:
        """Keep the spans of an OTLP export request (an agent service's) that belong to a
        captured trace, with their resource and scope; returns how many were not kept."""
        dropped = 0
        with self._lock:
            for pb2_resource_spans in request.resource_spans:
                kept: dict[int, trace_pb2.ResourceSpans] = {}
                for pb2_scope_spans in pb2_resource_spans.scope_spans:
                    scopes: dict[int, trace_pb2.ScopeSpans] = {}
                    for pb2_span in pb2_scope_spans.spans:
                        owner = self._owner(int.from_bytes(pb2_span.trace_id, "big"))
                        if owner is None:
                            dropped += 1
                            continue
                        if owner not in scopes:
                            if owner not in kept:
                                kept[owner] = trace_pb2.ResourceSpans(
                                    resource=pb2_resource_spans.resource,
                                    schema_url=pb2_resource_spans.schema_url,
                                )
                            scopes[owner] = kept[owner].scope_spans.add(
                                scope=pb2_scope_spans.scope, schema_url=pb2_scope_spans.schema_url
                            )
                        scopes[owner].spans.add().CopyFrom(pb2_span)
                        if pb2_span.parent_span_id:
                            parents = self._received_parents.setdefault(owner, set())
                            parents.add(int.from_bytes(pb2_span.parent_span_id, "big"))
                for owner, pb2_kept in kept.items():
                    self._received.setdefault(owner, []).append(pb2_kept)
            self._arrived.notify_all()
        return dropped

    def wait_for_children(
        self, trace_id: int, parent_span_ids: Collection[int], timeout_seconds: float
    ) -> bool:
        """Wait until, for each of `parent_span_ids`, a span naming it as its parent has been
        received in `trace_id` (an agent service's entry span under each turn that called
        it), at most `timeout_seconds`; whether they all arrived."""
        wanted = set(parent_span_ids)
        deadline = time.monotonic() + timeout_seconds
        with self._lock:
            while not wanted <= self._received_parents.get(trace_id, set()):
                left = deadline - time.monotonic()
                if left <= 0 or trace_id not in self._spans:
                    return False
                self._arrived.wait(left)
            return True

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        context = span.context
        scope = span.instrumentation_scope
        if span.parent is not None or context is None:
            return
        if scope is not None and scope.name == REPLAY_TRACER_NAME:
            return  # a replay's own root: it registers its trace
        adoption = adopt_trace(context.trace_id)
        if adoption is None:
            return
        with self._lock:
            if adoption.replay_trace_id in self._spans:
                self._adopted[context.trace_id] = adoption

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None:
            return
        with self._lock:
            adoption = self._adopted.get(context.trace_id)
            owner = adoption.replay_trace_id if adoption is not None else context.trace_id
            spans = self._spans.get(owner)
            if spans is not None:
                spans.append(span)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def ensure_capture() -> SpanCapture:
    """Install (once per process) the capture processor on the application's SDK provider,
    or on a new SDK provider when the application set none."""
    global _CAPTURE
    with _INSTALL_LOCK:
        if _CAPTURE is not None:
            return _CAPTURE
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider(
                resource=Resource.create({"service.name": "otel-replay-agent"})
            )
            trace.set_tracer_provider(provider)
            provider = trace.get_tracer_provider()
            if not isinstance(provider, TracerProvider):
                raise RuntimeError(
                    "the application installed a tracer provider otel-replay cannot extend"
                )
        capture = SpanCapture()
        provider.add_span_processor(capture)
        _CAPTURE = capture
        return capture


def spans_to_request(captured: CapturedTrace) -> trace_service_pb2.ExportTraceServiceRequest:
    """The captured spans as an OTLP export request (the official encoder), adopted traces
    moved into the replay trace with their roots under their turn span."""
    request: trace_service_pb2.ExportTraceServiceRequest = encode_spans(captured.spans)
    request.resource_spans.extend(captured.received)
    if captured.adopted:
        _join_adopted(request, captured.trace_id, captured.adopted)
    return request


def _join_adopted(
    request: trace_service_pb2.ExportTraceServiceRequest,
    trace_id: int,
    adopted: Mapping[int, int],
) -> None:
    replay_trace = trace_id.to_bytes(16, "big")
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for pb2_span in scope_spans.spans:
                turn_span_id = adopted.get(int.from_bytes(pb2_span.trace_id, "big"))
                if turn_span_id is None:
                    continue
                pb2_span.trace_id = replay_trace
                if not pb2_span.parent_span_id:
                    pb2_span.parent_span_id = turn_span_id.to_bytes(8, "big")
                for link in pb2_span.links:
                    if int.from_bytes(link.trace_id, "big") in adopted:
                        link.trace_id = replay_trace
