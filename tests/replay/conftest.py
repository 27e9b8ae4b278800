from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_replay.store import SqlSpanStore
from tests.conftest import opened_store

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


@pytest.fixture
def store(sqlite_url: str) -> Iterator[SqlSpanStore]:
    """A new SQLite store for the replay's spans."""
    yield from opened_store(sqlite_url)


def redirect_side_effects(
    module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A new empty folder that `module`'s tools write a file per side effect into
    (its `SIDE_EFFECTS`)."""
    folder = tmp_path / "side-effects"
    folder.mkdir()
    monkeypatch.setattr(module, "SIDE_EFFECTS", folder)
    return folder
