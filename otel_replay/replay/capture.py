"""Capturing the spans a replayed agent makes, and storing them with links to the originals.

The replay installs an SDK TracerProvider when the application has none, and otherwise adds
its processor to the application's provider: every span the agent's instrumentation makes
(openai instrumentations, LangChain, manual spans) under a replay trace is captured.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Span as SdkSpan

_INSTALL_LOCK = threading.Lock()
_CAPTURE: SpanCapture | None = None


class SpanCapture(SpanProcessor):
    """Keeps the finished spans of registered trace ids until they are taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: dict[int, list[ReadableSpan]] = {}

    def register(self, trace_id: int) -> None:
        with self._lock:
            self._spans.setdefault(trace_id, [])

    def take(self, trace_id: int) -> list[ReadableSpan]:
        """The trace's finished spans; the trace is no longer captured afterwards."""
        with self._lock:
            return self._spans.pop(trace_id, [])

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None:
            return
        with self._lock:
            spans = self._spans.get(context.trace_id)
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


def spans_to_request(spans: Sequence[ReadableSpan]) -> trace_service_pb2.ExportTraceServiceRequest:
    """The captured spans as an OTLP export request (the official encoder)."""
    request: trace_service_pb2.ExportTraceServiceRequest = encode_spans(spans)
    return request
