"""The SQL span store: one implementation for SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from otel_replay.core.errors import StoreUnavailableError
from otel_replay.store.base import RunRecord, SessionSummary, StoreCounts, TraceSummary
from otel_replay.store.dialect import (
    DEFAULT_TIMEOUTS,
    Connection,
    StoreRejectedError,
    StoreTimeouts,
    StoreUrl,
    parse_store_url,
)
from otel_replay.store.migrations import apply_migrations
from otel_replay.store.normalise import clean_text, unescape_exact
from otel_replay.store.ranks import NO_RANK
from otel_replay.store.search import (
    SEARCH_ALL_TRACES,
    SEARCH_FIRST_SCAN,
    SEARCH_MAX_SCAN,
    SEARCH_MAX_SCANS,
    SearchShape,
    SearchStatements,
    SessionFilter,
    SessionRow,
    TraceFacts,
    build_search_statements,
    search_params,
    search_traces_sql,
    session_rows_sql,
)
from otel_replay.store.statements import (
    ID_BATCH,
    RUN_COLUMNS,
    SessionSummaryRow,
    Statements,
    StoredRecordRow,
    TraceSummaryRow,
    build_statements,
    build_write_statements,
    id_batches,
)

if TYPE_CHECKING:
    # Loaded on first use: listing sessions needs neither protobuf nor the row builder.
    from otel_replay.core.records import LogRecord, Resource, Scope, Span
    from otel_replay.semconv.identity import Identity
    from otel_replay.store.rows import LogBatch, LogRow, ScopeRow, SpanBatch, SpanRow

# Kept for callers of the old name: the rank of a trace without a session key.
NO_SESSION_RANK = NO_RANK


def _run_value(run: RunRecord, name: str) -> Any:
    value = json.dumps(list(run.trace_ids)) if name == "trace_ids" else getattr(run, name)
    return clean_text(value) if isinstance(value, str) else value


def _run_values(run: RunRecord) -> tuple[Any, ...]:
    return tuple(_run_value(run, name) for name in RUN_COLUMNS)


def _run_record(values: Sequence[Any]) -> RunRecord:
    row = dict(zip(RUN_COLUMNS, values, strict=True))
    return RunRecord(**{**row, "trace_ids": tuple(json.loads(row["trace_ids"]))})


def _trace_summary(values: Sequence[Any]) -> TraceSummary:
    row = TraceSummaryRow._make(values)
    return TraceSummary(
        trace_id=row.trace_id,
        session_id=row.session_id,
        session_from_key=int(row.session_rank) < NO_RANK,
        span_count=int(row.span_count),
        start_time_unix_nano=int(row.start_time_unix_nano),
        end_time_unix_nano=int(row.end_time_unix_nano),
        root_span_id=row.root_span_id,
        root_name=row.root_name,
        service_name=row.service_name,
        user_id=row.user_id,
        turn_count=max(1, int(row.turn_span_count)),
        continues_turn=int(row.turn_span_count) < 0,
    )


def _session_summary(values: Sequence[Any]) -> SessionSummary:
    row = SessionSummaryRow._make(values)
    return SessionSummary(
        session_id=row.session_id,
        trace_count=int(row.trace_count),
        span_count=int(row.span_count),
        first_start_unix_nano=int(row.first_start_unix_nano),
        last_end_unix_nano=int(row.last_end_unix_nano),
        service_name=row.service_name or "",
        turn_count=int(row.turn_count),
    )


def _decode_scope(row: StoredRecordRow) -> tuple[Resource, Scope]:
    return _decode_scope_pb(
        bytes(row.resource_pb),
        unescape_exact(row.resource_schema_url),
        bytes(row.scope_pb),
        unescape_exact(row.scope_schema_url),
    )


@lru_cache(maxsize=4096)
def _decode_scope_pb(
    resource_pb: bytes, resource_url: str, scope_pb: bytes, scope_url: str
) -> tuple[Resource, Scope]:
    from opentelemetry.proto.common.v1 import common_pb2
    from opentelemetry.proto.resource.v1 import resource_pb2

    from otel_replay.otlp.convert import resource_from_pb2, scope_from_pb2

    pb2_resource = resource_pb2.Resource.FromString(resource_pb)
    pb2_scope = common_pb2.InstrumentationScope.FromString(scope_pb)
    return resource_from_pb2(pb2_resource, resource_url), scope_from_pb2(pb2_scope, scope_url)


class SqlSpanStore:
    """SpanStore over SQLite or PostgreSQL; thread-safe through one lock per store."""

    def __init__(self, url: StoreUrl, timeouts: StoreTimeouts = DEFAULT_TIMEOUTS) -> None:
        self._url = url
        self.url = str(url)
        self._timeouts = timeouts
        self._lock = threading.Lock()
        # Span writes through this store (the dialect's change marker omits its own commits).
        self._span_writes = 0
        self._conn = Connection(url, timeouts)
        self._sql: Statements = build_statements(self._conn.dialect)
        apply_migrations(self._conn)

    def _reconnect_if_broken(self) -> None:
        """Replace a dropped connection; StoreUnavailableError while the server stays down."""
        if not self._conn.is_broken():
            return
        with suppress(Exception):
            self._conn.close()
        self._conn = Connection(self._url, self._timeouts)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One transaction. A store that is down, busy, full or stuck raises
        StoreUnavailableError (retryable); data the database refuses raises StoreRejectedError
        (permanent, naming no data); anything else is raised as it is."""
        with self._lock:
            self._reconnect_if_broken()
            watchdog = self._conn.watchdog()
            try:
                self._conn.begin()
                yield self._conn
                self._conn.commit()
            except Exception as exc:
                with suppress(Exception):
                    self._conn.rollback()
                kind = self._conn.classify(exc)
                if kind is StoreUnavailableError:
                    raise StoreUnavailableError(
                        f"store {self.url} unavailable: {type(exc).__name__}"
                    ) from exc
                if kind is StoreRejectedError:
                    raise StoreRejectedError(self._conn.fault_reason(exc)) from exc
                raise
            except BaseException:
                with suppress(Exception):
                    self._conn.rollback()
                raise
            finally:
                if watchdog is not None:
                    watchdog.cancel()

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self._lock:
            self._reconnect_if_broken()
            try:
                yield self._conn
            finally:
                # Ends the read snapshot (PostgreSQL opens a transaction for every query).
                self._conn.rollback()

    def write(
        self,
        span_batches: Sequence[SpanBatch],
        log_batches: Sequence[LogBatch] = (),
        runs: Sequence[RunRecord] = (),
    ) -> None:
        from otel_replay.store.writing import (
            clean_log_rows,
            clean_scope_rows,
            clean_span_rows,
            write_logs,
            write_spans,
        )

        scopes: dict[str, ScopeRow] = {}
        spans: list[SpanRow] = []
        identities: dict[str, Identity] = {}
        for span_batch in span_batches:
            scopes.update((s.scope_key, s) for s in span_batch.scopes)
            spans.extend(span_batch.spans)
            for trace_id, identity in span_batch.identities.items():
                known = identities.get(trace_id)
                identities[trace_id] = identity if known is None else known.best(identity)
        logs: list[LogRow] = []
        for log_batch in log_batches:
            scopes.update((s.scope_key, s) for s in log_batch.scopes)
            logs.extend(log_batch.logs)
        if not spans and not logs and not runs:
            return
        # Text both databases can store and index (store/normalise.py), on both alike.
        scope_rows = clean_scope_rows(scopes.values())
        spans = clean_span_rows(spans)
        logs = clean_log_rows(logs)
        services = {scope.scope_key: scope.service_name for scope in scope_rows}
        sql = build_write_statements(self._conn.dialect)
        with self._transaction() as conn:
            conn.executemany(sql.insert_scope, scope_rows)
            if spans:
                self._span_writes += 1
                write_spans(conn, sql, spans, identities, services)
            if logs:
                write_logs(conn, sql, logs)
            for run in runs:
                conn.execute(self._sql.save_run, _run_values(run))

    def list_sessions(self, limit: int = 100, keyed_only: bool = False) -> list[SessionSummary]:
        below_rank = NO_RANK if keyed_only else NO_RANK + 1
        with self._reading() as conn:
            rows = conn.execute(self._sql.list_sessions, (below_rank, limit))
        return [_session_summary(r) for r in rows]

    def list_traces(
        self, limit: int = 100, session_id: str | None = None, keyless_only: bool = False
    ) -> list[TraceSummary]:
        with self._reading() as conn:
            if keyless_only:
                rows = conn.execute(self._sql.list_keyless_traces, (NO_RANK, limit))
            elif session_id is None:
                rows = conn.execute(self._sql.list_traces, (limit,))
            else:
                rows = conn.execute(self._sql.list_session_traces, (session_id, limit))
        return [_trace_summary(r) for r in rows]

    def get_trace(self, trace_id: str) -> TraceSummary | None:
        with self._reading() as conn:
            rows = conn.execute(self._sql.get_trace, (trace_id,))
        return _trace_summary(rows[0]) if rows else None

    def _stored_records(self, statement: str, trace_ids: Sequence[str]) -> list[StoredRecordRow]:
        """The stored records of these traces, in the order the traces are given, in one
        query per ID_BATCH traces."""
        unique = list(dict.fromkeys(trace_ids))
        rows: list[StoredRecordRow] = []
        with self._reading() as conn:
            for params in id_batches(unique, conn.dialect):
                rows.extend(StoredRecordRow._make(r) for r in conn.execute(statement, params))
        position = {trace_id: i for i, trace_id in enumerate(unique)}
        # Stable: within a trace, the query's order stands.
        rows.sort(key=lambda row: position[row.trace_id])
        return rows

    def get_spans(self, trace_ids: Sequence[str]) -> list[Span]:
        from opentelemetry.proto.trace.v1 import trace_pb2

        from otel_replay.otlp.convert import span_from_pb2
        from otel_replay.store.rows import clear_zero_ids

        spans: list[Span] = []
        for row in self._stored_records(self._sql.get_spans, trace_ids):
            resource, scope = _decode_scope(row)
            pb2_span = trace_pb2.Span.FromString(bytes(row.record_pb))
            clear_zero_ids(pb2_span, ("parent_span_id",))
            spans.append(span_from_pb2(pb2_span, resource, scope))
        return spans

    def get_log_records(self, trace_ids: Sequence[str]) -> list[LogRecord]:
        from opentelemetry.proto.logs.v1 import logs_pb2

        from otel_replay.otlp.convert import log_record_from_pb2
        from otel_replay.store.rows import clear_zero_ids

        records: list[LogRecord] = []
        for row in self._stored_records(self._sql.get_log_records, trace_ids):
            resource, scope = _decode_scope(row)
            pb2_log = logs_pb2.LogRecord.FromString(bytes(row.record_pb))
            clear_zero_ids(pb2_log, ("trace_id", "span_id"))
            records.append(log_record_from_pb2(pb2_log, resource, scope))
        records.sort(key=lambda r: (r.time_unix_nano or r.observed_time_unix_nano, r.span_id))
        return records

    def counts(self) -> StoreCounts:
        with self._reading() as conn:
            spans = conn.execute("SELECT COUNT(*) FROM spans")[0][0]
            traces, sessions = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT session_id) FROM traces"
            )[0]
            logs = conn.execute("SELECT COUNT(*) FROM log_records")[0][0]
        return StoreCounts(
            spans=int(spans), traces=int(traces), sessions=int(sessions), log_records=int(logs)
        )

    def save_run(self, run: RunRecord) -> None:
        with self._transaction() as conn:
            conn.execute(self._sql.save_run, _run_values(run))

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._reading() as conn:
            rows = conn.execute(self._sql.get_run, (run_id,))
        return _run_record(rows[0]) if rows else None

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        with self._reading() as conn:
            rows = conn.execute(self._sql.list_runs, (limit,))
        return [_run_record(r) for r in rows]

    def integrity_problems(self) -> list[str]:
        with self._reading() as conn:
            problems = conn.integrity_problems()
            orphans = conn.execute(
                "SELECT COUNT(*) FROM traces t WHERE span_count <> "
                "(SELECT COUNT(*) FROM spans s WHERE s.trace_id = t.trace_id)"
            )[0][0]
        if orphans:
            problems.append(f"{orphans} trace(s) whose span_count disagrees with their spans")
        return problems

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # Browsing and housekeeping (store/search.py): the web UI and `app.housekeeping`.

    def _search_sql(self) -> SearchStatements:
        return build_search_statements(self._conn.dialect, ID_BATCH)

    def stale_fact_traces(self, limit: int, latest: int | None = None) -> list[str]:
        """Traces whose search facts are missing or older than their spans, newest first;
        only among the `latest` traces by end when given."""
        scan = latest if latest is not None else SEARCH_ALL_TRACES
        with self._reading() as conn:
            rows = conn.execute(self._search_sql().stale_fact_traces, (scan, limit))
        return [str(r[0]) for r in rows]

    def change_marker(self) -> str:
        """A value that moves whenever spans were written through this store, or anything was
        committed by another connection, since it was last read; O(1)."""
        with self._reading() as conn:
            rows = conn.execute(conn.dialect.change_marker)
            return f"{self._span_writes}:{rows[0][0]}"

    def save_trace_facts(self, facts: list[TraceFacts]) -> None:
        if facts:
            with self._transaction() as conn:
                conn.executemany(self._search_sql().upsert_trace_facts, facts)

    def search_sessions(
        self, session_filter: SessionFilter, limit: int, offset: int = 0
    ) -> list[SessionRow]:
        """A page of sessions, most recent first (see `search_traces_sql`)."""
        dialect = self._conn.dialect
        shape = SearchShape.of(session_filter)
        params = search_params(session_filter)
        wanted = offset + limit
        found: dict[str, None] = {}
        # A text search reads its matches in one pass: start with the largest scan.
        first = SEARCH_MAX_SCAN if session_filter.text else SEARCH_FIRST_SCAN
        chunk = max(first, wanted * 4)
        keyset: tuple[object, ...] = ()
        with self._reading() as conn:
            for _ in range(SEARCH_MAX_SCANS):
                statement = search_traces_sql(dialect, shape, bool(keyset))
                rows = conn.execute(statement, (*params, *keyset, chunk))
                found.update((row[0], None) for row in rows)
                if len(found) >= wanted or len(rows) < chunk:
                    break
                keyset = (rows[-1][1], rows[-1][1], rows[-1][2])
                chunk = min(chunk * 2, SEARCH_MAX_SCAN)
            page = list(found)[offset:wanted]
            if not page:
                return []
            statement = session_rows_sql(dialect, ID_BATCH)
            rows = conn.execute(statement, id_batches(page, dialect)[0])
        position = {session_id: i for i, session_id in enumerate(page)}
        return sorted((SessionRow._make(r) for r in rows), key=lambda r: position[r.session_id])

    def session_services(self) -> list[str]:
        with self._reading() as conn:
            return [str(r[0]) for r in conn.execute(self._search_sql().session_services)]

    def delete_sessions(self, session_ids: list[str]) -> int:
        """Delete sessions with their spans, log records and the runs that recorded them;
        returns the number of traces deleted. One transaction."""
        sql = self._search_sql()
        with self._transaction() as conn:
            trace_ids: list[str] = []
            for session_id in session_ids:
                trace_ids.extend(
                    str(r[0]) for r in conn.execute(sql.session_trace_ids, (session_id,))
                )
                conn.execute(sql.delete_runs_of_session, (session_id,))
            for params in id_batches(trace_ids, conn.dialect):
                for statement in (
                    sql.delete_spans,
                    sql.delete_log_records,
                    sql.delete_trace_facts,
                    sql.delete_traces,
                ):
                    conn.execute(statement, params)
        return len(trace_ids)

    def delete_runs(self, run_ids: list[str]) -> int:
        """Delete run records (not the sessions they recorded); returns how many existed."""
        deleted = 0
        with self._transaction() as conn:
            for run_id in run_ids:
                if conn.execute(self._sql.get_run, (run_id,)):
                    conn.execute(self._search_sql().delete_run, (run_id,))
                    deleted += 1
        return deleted

    def sessions_ended_before(self, unix_nano: int, limit: int) -> list[str]:
        with self._reading() as conn:
            rows = conn.execute(self._search_sql().sessions_ended_before, (unix_nano, limit))
        return [str(r[0]) for r in rows]

    def runs_ended_before(self, unix_nano: int, limit: int) -> list[str]:
        with self._reading() as conn:
            rows = conn.execute(self._search_sql().runs_ended_before, (unix_nano, limit))
        return [str(r[0]) for r in rows]


def open_store(url: str, timeouts: StoreTimeouts = DEFAULT_TIMEOUTS) -> SqlSpanStore:
    """Open (and migrate) the store named by a URL: `sqlite:///PATH`, a path, or `postgresql://...`."""
    return SqlSpanStore(parse_store_url(url), timeouts)
