"""Several writers of the same traces at once (receivers sharing one database, exporters
retrying): every span stored once, each trace's count and summary right, no deadlock."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from otel_replay.store import SqlSpanStore, open_store
from tests.builders import SECOND, T0, batch_of, make_span

WRITERS = 4
TRACES = 6
SPANS_PER_TRACE = 12
ROUNDS = 3


@pytest.fixture
def writers(store_url: str) -> Iterator[list[SqlSpanStore]]:
    opened = [open_store(store_url) for _ in range(WRITERS)]
    yield opened
    for store in opened:
        store.close()


def _spans_of(writer: int, round_number: int) -> list[object]:
    """Overlapping slices of every trace: each span is sent by two writers, in two orders."""
    spans = []
    for trace in range(1, TRACES + 1):
        for number in range(1, SPANS_PER_TRACE + 1):
            if (number + writer + round_number) % WRITERS in (0, 1):
                parent = None if number == 1 else 1
                start = (number - 1) * SECOND
                session = {"session.id": f"s-{trace}"} if number == 1 else {}
                spans.append(make_span(trace, number, parent, start=start, attributes=session))
    return spans[::-1] if writer % 2 else spans


def test_writers_of_the_same_spans_at_once_store_each_once_with_right_summaries(
    writers: list[SqlSpanStore],
) -> None:
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for round_number in range(ROUNDS):
                spans = _spans_of(writer, round_number)
                writers[writer].write([batch_of(*spans)])  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    store = writers[0]
    assert store.counts().spans == TRACES * SPANS_PER_TRACE
    assert store.integrity_problems() == []
    for trace in range(1, TRACES + 1):
        summary = store.get_trace(f"{trace:032x}")
        assert summary is not None
        assert summary.span_count == SPANS_PER_TRACE
        assert summary.session_id == f"s-{trace}"
        assert summary.root_span_id == f"{1:016x}"
        assert summary.start_time_unix_nano == T0
        assert summary.end_time_unix_nano == T0 + SPANS_PER_TRACE * SECOND
