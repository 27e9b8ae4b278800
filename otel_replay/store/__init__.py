"""Durable span storage: the `SpanStore` protocol and its SQL implementation."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otel_replay.store.base import (
        RunRecord,
        SessionSummary,
        SpanStore,
        StoreCounts,
        TraceSummary,
    )
    from otel_replay.store.dialect import DEFAULT_STORE_URL, parse_store_url
    from otel_replay.store.sql import SqlSpanStore, open_store

# Names load from their module on first use: importing `otel_replay.store.base` (the records
# every layer above reads) must not import the SQL implementation and its drivers.
_EXPORTS = {
    "DEFAULT_STORE_URL": "otel_replay.store.dialect",
    "RunRecord": "otel_replay.store.base",
    "SessionSummary": "otel_replay.store.base",
    "SpanStore": "otel_replay.store.base",
    "SqlSpanStore": "otel_replay.store.sql",
    "StoreCounts": "otel_replay.store.base",
    "TraceSummary": "otel_replay.store.base",
    "open_store": "otel_replay.store.sql",
    "parse_store_url": "otel_replay.store.dialect",
}

__all__ = [
    "DEFAULT_STORE_URL",
    "RunRecord",
    "SessionSummary",
    "SpanStore",
    "SqlSpanStore",
    "StoreCounts",
    "TraceSummary",
    "open_store",
    "parse_store_url",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
