"""Durable span storage: the `SpanStore` protocol and its SQL implementation."""

from otel_replay.store.base import RunRecord, SessionSummary, SpanStore, StoreCounts, TraceSummary
from otel_replay.store.dialect import DEFAULT_STORE_URL, parse_store_url
from otel_replay.store.sql import SqlSpanStore, open_store

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
