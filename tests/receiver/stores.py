"""Fault injectors around a real store, for the receiver tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from otel_replay.store import SqlSpanStore
from otel_replay.store.rows import LogBatch, SpanBatch

HOLD_TIMEOUT = 30.0


class DelegatingStore:
    """A real store, except for what a subclass does to `write`."""

    def __init__(self, inner: SqlSpanStore) -> None:
        self.inner = inner
        self.url = inner.url

    def write(self, span_batches: Sequence[SpanBatch], log_batches: Sequence[LogBatch]) -> None:
        self.inner.write(span_batches, log_batches)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class HeldStore(DelegatingStore):
    """Writes wait until the test releases them (a stuck disk).

    `writing` is set when the first write starts; once `released` is set, writes go through.
    """

    def __init__(self, inner: SqlSpanStore) -> None:
        super().__init__(inner)
        self.writing = threading.Event()
        self.released = threading.Event()

    def write(self, span_batches: Sequence[SpanBatch], log_batches: Sequence[LogBatch]) -> None:
        self.writing.set()
        assert self.released.wait(HOLD_TIMEOUT), "the test never released the write"
        self.inner.write(span_batches, log_batches)


class SlowStore(DelegatingStore):
    """Each write takes `delay` seconds (a slow disk)."""

    def __init__(self, inner: SqlSpanStore, delay: float) -> None:
        super().__init__(inner)
        self.delay = delay

    def write(self, span_batches: Sequence[SpanBatch], log_batches: Sequence[LogBatch]) -> None:
        time.sleep(self.delay)
        self.inner.write(span_batches, log_batches)


class FailingStore(DelegatingStore):
    """Every write raises `error`."""

    def __init__(self, inner: SqlSpanStore, error: Exception) -> None:
        super().__init__(inner)
        self.error = error

    def write(self, span_batches: Sequence[SpanBatch], log_batches: Sequence[LogBatch]) -> None:
        raise self.error
