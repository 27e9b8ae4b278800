from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_EXPORTER = InMemorySpanExporter()


def _ensure_sdk_provider() -> None:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if not getattr(provider, "_otel_replay_test_exporter", False):
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        provider._otel_replay_test_exporter = True  # type: ignore[attr-defined]


@pytest.fixture
def finished_spans() -> Iterator[InMemorySpanExporter]:
    """The real SDK, installed globally once; spans finished during the test."""
    _ensure_sdk_provider()
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()
