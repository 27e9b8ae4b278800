"""Writing spans inside a store transaction: what is stored once stays as it was stored.

A trace's summary row is built from the spans this write actually inserts. A re-sent span (its
trace id and span id already stored, whatever its content now) changes neither the span nor
its trace's summary: not its times, root, session or user.

The usual write holds only new spans and takes one statement per table. When a span id is
already stored (an exporter's retry, a second receiver), the write starts over on a slower
path that first locks the traces' rows, then reads which of their spans are stored, and
inserts and summarises only the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from otel_replay.store.dialect import Connection, StoreRejectedError
from otel_replay.store.normalise import clean_rows
from otel_replay.store.statements import WriteStatements, id_batches

if TYPE_CHECKING:
    from otel_replay.semconv.identity import Identity
    from otel_replay.store.rows import LogRow, ScopeRow, SpanRow, TraceRow


@cache
def _positions(row_type: type, names: tuple[str, ...]) -> tuple[int, ...]:
    fields: tuple[str, ...] = row_type._fields  # type: ignore[attr-defined]
    return tuple(fields.index(name) for name in names)


def clean_span_rows(spans: Iterable[SpanRow]) -> list[SpanRow]:
    from otel_replay.store.rows import SpanRow

    text = _positions(SpanRow, ("name", "session_value"))
    return clean_rows(spans, text, _positions(SpanRow, ("session_value",)))


def clean_scope_rows(scopes: Iterable[ScopeRow]) -> list[ScopeRow]:
    from otel_replay.store.rows import ScopeRow

    exact = _positions(ScopeRow, ("resource_schema_url", "scope_schema_url"))
    return clean_rows(scopes, _positions(ScopeRow, ("service_name",)), exact=exact)


def clean_log_rows(logs: Iterable[LogRow]) -> list[LogRow]:
    from otel_replay.store.rows import LogRow

    return clean_rows(logs, _positions(LogRow, ("event_name",)))


def _clean_trace_rows(rows: Iterable[TraceRow]) -> list[TraceRow]:
    from otel_replay.store.rows import TraceRow

    text = _positions(TraceRow, ("session_id", "root_name", "service_name", "user_id"))
    return clean_rows(rows, text, _positions(TraceRow, ("session_id",)))


def _trace_rows(
    spans: Iterable[SpanRow], identities: Mapping[str, Identity], services: Mapping[str, str]
) -> list[TraceRow]:
    from otel_replay.store.rows import build_trace_rows

    # Sorted by trace id, so that concurrent writers (several receivers on one PostgreSQL)
    # lock trace rows in one order and cannot deadlock.
    return _clean_trace_rows(build_trace_rows(spans, identities, services))


def _session_of(spans: Iterable[SpanRow]) -> Identity:
    """The best session these spans named themselves (the request-wide identity may come from
    spans that were not stored); no user: a stored trace keeps the user it has."""
    from otel_replay.semconv.identity import Identity, Ranked

    best: Ranked | None = None
    for span in spans:
        rank, value = span.session_rank, span.session_value
        if rank is not None and value is not None and (best is None or rank < best.rank):
            best = Ranked(rank, value)
    return Identity(session=best)


def _identities_of_kept(
    kept: Sequence[SpanRow], dropped_traces: set[str], identities: Mapping[str, Identity]
) -> dict[str, Identity]:
    """`identities`, except that each trace in `dropped_traces` (some of whose spans in this
    write are not stored) takes its identity from its kept spans only."""
    adjusted = dict(identities)
    by_trace: dict[str, list[SpanRow]] = {}
    for span in kept:
        if span.trace_id in dropped_traces:
            by_trace.setdefault(span.trace_id, []).append(span)
    for trace_id in dropped_traces:
        adjusted[trace_id] = _session_of(by_trace.get(trace_id, ()))
    return adjusted


def write_spans(
    conn: Connection,
    sql: WriteStatements,
    spans: Sequence[SpanRow],
    identities: Mapping[str, Identity],
    services: Mapping[str, str],
) -> None:
    """Insert the spans not stored yet and merge what they add into their traces' rows."""
    trace_rows = _trace_rows(spans, identities, services)
    conn.savepoint()
    try:
        # The trace rows are upserted (and so locked) before the spans go in: a second
        # writer of the same trace waits for our commit, and its count statement, with a
        # fresh snapshot, then sees our spans too.
        conn.executemany(sql.upsert_trace, trace_rows)
        conn.executemany(sql.insert_new_span, spans)
    except Exception as exc:
        # A span id already stored (or given twice): take the slow path. Anything else the
        # database refused will fail there again and be reported.
        if conn.classify(exc) is not StoreRejectedError:
            raise
        conn.rollback_to_savepoint()
        trace_ids = _write_with_known_spans(conn, sql, spans, identities, services)
    else:
        conn.release_savepoint()
        trace_ids = [row.trace_id for row in trace_rows]
    conn.executemany(sql.count_trace_spans, [(trace_id,) for trace_id in trace_ids])


def _write_with_known_spans(
    conn: Connection,
    sql: WriteStatements,
    spans: Sequence[SpanRow],
    identities: Mapping[str, Identity],
    services: Mapping[str, str],
) -> list[str]:
    """The slow path; returns the ids of the traces that got new spans."""
    unique: dict[tuple[str, str], SpanRow] = {}
    given_twice: set[str] = set()
    for span in spans:
        if unique.setdefault((span.trace_id, span.span_id), span) is not span:
            given_twice.add(span.trace_id)
    first = list(unique.values())
    adjusted = _identities_of_kept(first, given_twice, identities) if given_twice else identities
    # A trace not stored yet gets its whole row here (all its spans are new); a stored one
    # is locked, so that no other writer adds spans to it until we commit.
    locked = _trace_rows(first, adjusted, services)
    conn.executemany(sql.lock_trace, locked)
    stored: set[tuple[str, str]] = set()
    for params in id_batches([row.trace_id for row in locked], conn.dialect):
        stored.update((str(t), str(s)) for t, s in conn.execute(sql.stored_span_ids, params))
    new = [span for key, span in unique.items() if key not in stored]
    if not new:
        return []
    conn.executemany(sql.insert_span, new)
    stored_traces = {trace_id for trace_id, _ in stored}
    if stored_traces:
        resent = {trace_id for trace_id, span_id in unique if (trace_id, span_id) in stored}
        added = [span for span in new if span.trace_id in stored_traces]
        merged = _identities_of_kept(added, resent | given_twice, adjusted)
        conn.executemany(sql.upsert_trace, _trace_rows(added, merged, services))
    return sorted({span.trace_id for span in new})


def write_logs(conn: Connection, sql: WriteStatements, logs: Sequence[LogRow]) -> None:
    """Insert the log records not stored yet, each with its arrival position.

    `logs` are the requests of this write in the order they were received, each in its own
    order (resource -> scope -> record): a range of the store-wide counter is reserved for
    them, so every record sorts after all those written before. A record already stored (the
    same content key: an exporter's retry) keeps the position it first arrived with.
    """
    (row,) = conn.execute(sql.reserve_log_arrivals, (len(logs),))
    base = int(row[0]) - len(logs)
    conn.executemany(
        sql.insert_log,
        [log._replace(arrival_order=base + i + 1) for i, log in enumerate(logs)],
    )
