"""The SQL span store: one implementation for SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any

from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.core.errors import StoreUnavailableError
from otel_replay.core.records import LogRecord, Resource, Scope, Span
from otel_replay.otlp.convert import (
    log_record_from_pb2,
    resource_from_pb2,
    scope_from_pb2,
    span_from_pb2,
)
from otel_replay.store.base import RunRecord, SessionSummary, StoreCounts, TraceSummary
from otel_replay.store.dialect import Connection, StoreUrl, parse_store_url
from otel_replay.store.migrations import apply_migrations
from otel_replay.store.rows import LogBatch, ScopeRow, SpanBatch, SpanRow

# A trace none of whose spans carries a session key ranks below every key.
NO_SESSION_RANK = 1_000_000

_INSERT_SCOPE = """INSERT INTO scopes (scope_key, resource_pb, scope_pb, resource_schema_url,
    scope_schema_url, service_name) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope_key) DO NOTHING"""

_INSERT_SPAN = """INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind,
    start_time_unix_nano, end_time_unix_nano, status_code, session_rank, session_value,
    scope_key, span_pb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (trace_id, span_id) DO NOTHING"""

# Merging is order-independent (min/max/first-root), so spans may arrive in any order.
_SPAN_COLUMNS = 12  # SpanRow's leading fields are the spans table's columns

_UPSERT_TRACE = """INSERT INTO traces (trace_id, session_id, session_rank, span_count,
    min_start_unix_nano, max_end_unix_nano, root_span_id, root_name, root_start_unix_nano,
    service_name, user_id) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (trace_id) DO UPDATE SET
    session_id = CASE WHEN excluded.session_rank < traces.session_rank
        THEN excluded.session_id ELSE traces.session_id END,
    session_rank = CASE WHEN excluded.session_rank < traces.session_rank
        THEN excluded.session_rank ELSE traces.session_rank END,
    min_start_unix_nano = CASE WHEN excluded.min_start_unix_nano < traces.min_start_unix_nano
        THEN excluded.min_start_unix_nano ELSE traces.min_start_unix_nano END,
    max_end_unix_nano = CASE WHEN excluded.max_end_unix_nano > traces.max_end_unix_nano
        THEN excluded.max_end_unix_nano ELSE traces.max_end_unix_nano END,
    root_span_id = COALESCE(traces.root_span_id, excluded.root_span_id),
    root_name = COALESCE(traces.root_name, excluded.root_name),
    root_start_unix_nano = COALESCE(traces.root_start_unix_nano, excluded.root_start_unix_nano),
    service_name = CASE WHEN excluded.root_span_id IS NOT NULL AND traces.root_span_id IS NULL
        THEN excluded.service_name ELSE traces.service_name END,
    user_id = COALESCE(traces.user_id, excluded.user_id)"""

# Voice frameworks (LiveKit `user_turn`, Pipecat `turn`) and our replays hold a whole
# conversation in one trace: their turn spans are counted; any other trace is one turn.
_COUNT_TRACE_SPANS = """UPDATE traces SET
    span_count = (SELECT COUNT(*) FROM spans WHERE spans.trace_id = traces.trace_id),
    turn_span_count = (SELECT COUNT(*) FROM spans WHERE spans.trace_id = traces.trace_id
        AND (spans.name IN ('user_turn', 'turn') OR spans.name LIKE 'otel_replay.turn %'))
    WHERE trace_id = ?"""

_INSERT_LOG = """INSERT INTO log_records (record_key, trace_id, span_id, time_unix_nano,
    event_name, scope_key, record_pb) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (record_key) DO NOTHING"""

_TRACE_COLUMNS = """trace_id, session_id, session_rank, span_count,
    COALESCE(root_start_unix_nano, min_start_unix_nano), max_end_unix_nano,
    root_span_id, root_name, service_name, user_id, turn_span_count"""


def _trace_updates(spans: Sequence[SpanRow], services: dict[str, str]) -> list[tuple[Any, ...]]:
    """One upsert row per trace in the batch, merged the same way the SQL merges rows."""
    merged: dict[str, list[Any]] = {}
    for row in spans:
        rank = row.session_rank if row.session_rank is not None else NO_SESSION_RANK
        is_root = row.parent_span_id == ""
        current = merged.get(row.trace_id)
        if current is None:
            merged[row.trace_id] = [
                row.trace_id,
                row.session_value if row.session_value is not None else row.trace_id,
                rank,
                row.start_time_unix_nano,
                row.end_time_unix_nano,
                row.span_id if is_root else None,
                row.name if is_root else None,
                row.start_time_unix_nano if is_root else None,
                services.get(row.scope_key, ""),
                row.user_value,
            ]
            continue
        if rank < current[2]:
            current[1], current[2] = row.session_value, rank
        current[3] = min(current[3], row.start_time_unix_nano)
        current[4] = max(current[4], row.end_time_unix_nano)
        if is_root and current[5] is None:
            current[5], current[6], current[7] = row.span_id, row.name, row.start_time_unix_nano
            current[8] = services.get(row.scope_key, "")
        if current[9] is None:
            current[9] = row.user_value
    return [tuple(values) for values in merged.values()]


_RUN_COLUMNS = """run_id, scenario_name, original_session_id, session_id, agent, status,
    started_unix_nano, ended_unix_nano, trace_ids, result_json"""


def _save_run(conn: Connection, run: RunRecord) -> None:
    conn.execute(
        f"""INSERT INTO replay_runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id) DO UPDATE SET status = excluded.status,
        ended_unix_nano = excluded.ended_unix_nano, trace_ids = excluded.trace_ids,
        result_json = excluded.result_json""",
        (
            run.run_id,
            run.scenario_name,
            run.original_session_id,
            run.session_id,
            run.agent,
            run.status,
            run.started_unix_nano,
            run.ended_unix_nano,
            json.dumps(list(run.trace_ids)),
            run.result_json,
        ),
    )


def _run_record(row: Sequence[Any]) -> RunRecord:
    return RunRecord(
        run_id=row[0],
        scenario_name=row[1],
        original_session_id=row[2],
        session_id=row[3],
        agent=row[4],
        status=row[5],
        started_unix_nano=int(row[6]),
        ended_unix_nano=int(row[7]),
        trace_ids=tuple(json.loads(row[8])),
        result_json=row[9],
    )


def _trace_summary(row: Sequence[Any]) -> TraceSummary:
    return TraceSummary(
        trace_id=row[0],
        session_id=row[1],
        session_from_key=int(row[2]) < NO_SESSION_RANK,
        span_count=int(row[3]),
        start_time_unix_nano=int(row[4]),
        end_time_unix_nano=int(row[5]),
        root_span_id=row[6],
        root_name=row[7],
        service_name=row[8],
        user_id=row[9],
        turn_count=max(1, int(row[10])),
    )


@lru_cache(maxsize=4096)
def _decode_scope(
    resource_pb: bytes, resource_url: str, scope_pb: bytes, scope_url: str
) -> tuple[Resource, Scope]:
    pb2_resource = resource_pb2.Resource.FromString(resource_pb)
    pb2_scope = common_pb2.InstrumentationScope.FromString(scope_pb)
    return resource_from_pb2(pb2_resource, resource_url), scope_from_pb2(pb2_scope, scope_url)


class SqlSpanStore:
    """SpanStore over SQLite or PostgreSQL; thread-safe through one lock per store."""

    def __init__(self, url: StoreUrl) -> None:
        self._url = url
        self.url = str(url)
        self._lock = threading.Lock()
        self._conn = Connection(url)
        apply_migrations(self._conn)

    def _reconnect_if_broken(self) -> None:
        """Replace a dropped connection; StoreUnavailableError while the server stays down."""
        if not self._conn.is_broken():
            return
        with suppress(Exception):
            self._conn.close()
        self._conn = Connection(self._url)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._lock:
            self._reconnect_if_broken()
            try:
                self._conn.begin()
                yield self._conn
                self._conn.commit()
            except self._conn.errors as exc:
                self._conn.rollback()
                raise StoreUnavailableError(f"store {self.url} unavailable: {exc}") from exc
            except BaseException:
                self._conn.rollback()
                raise

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
        scopes: dict[str, ScopeRow] = {}
        spans: list[SpanRow] = []
        for span_batch in span_batches:
            scopes.update((s.scope_key, s) for s in span_batch.scopes)
            spans.extend(span_batch.spans)
        logs = []
        for log_batch in log_batches:
            scopes.update((s.scope_key, s) for s in log_batch.scopes)
            logs.extend(log_batch.logs)
        if not spans and not logs and not runs:
            return
        services = {key: scope.service_name for key, scope in scopes.items()}
        # Sorted, so that concurrent writers (several receivers on one PostgreSQL) lock trace
        # rows in one order and cannot deadlock.
        trace_rows = sorted(_trace_updates(spans, services))
        with self._transaction() as conn:
            conn.executemany(_INSERT_SCOPE, scopes.values())
            if spans:
                # The trace rows are upserted (and so locked) before the spans go in: a second
                # writer of the same trace waits for our commit, and its count statement, with
                # a fresh snapshot, then sees our spans too.
                conn.executemany(_UPSERT_TRACE, trace_rows)
                conn.executemany(_INSERT_SPAN, [row[:_SPAN_COLUMNS] for row in spans])
                conn.executemany(_COUNT_TRACE_SPANS, [(row[0],) for row in trace_rows])
            if logs:
                conn.executemany(_INSERT_LOG, logs)
            for run in runs:
                _save_run(conn, run)

    def list_sessions(self, limit: int = 100, keyed_only: bool = False) -> list[SessionSummary]:
        where = "WHERE session_rank < ?" if keyed_only else "WHERE session_rank <= ?"
        with self._reading() as conn:
            rows = conn.execute(
                f"""SELECT session_id, COUNT(*), SUM(span_count),
                    MIN(COALESCE(root_start_unix_nano, min_start_unix_nano)),
                    MAX(max_end_unix_nano), MIN(service_name),
                    SUM(CASE WHEN turn_span_count > 0 THEN turn_span_count ELSE 1 END)
                FROM traces {where} GROUP BY session_id
                ORDER BY MAX(max_end_unix_nano) DESC, session_id LIMIT ?""",
                (NO_SESSION_RANK, limit),
            )
        return [
            SessionSummary(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5] or "", int(r[6]))
            for r in rows
        ]

    def list_traces(
        self, limit: int = 100, session_id: str | None = None, keyless_only: bool = False
    ) -> list[TraceSummary]:
        with self._reading() as conn:
            if keyless_only:
                rows = conn.execute(
                    f"SELECT {_TRACE_COLUMNS} FROM traces WHERE session_rank >= ? "
                    "ORDER BY min_start_unix_nano DESC, trace_id LIMIT ?",
                    (NO_SESSION_RANK, limit),
                )
            elif session_id is None:
                rows = conn.execute(
                    f"SELECT {_TRACE_COLUMNS} FROM traces "
                    "ORDER BY min_start_unix_nano DESC, trace_id LIMIT ?",
                    (limit,),
                )
            else:
                rows = conn.execute(
                    f"SELECT {_TRACE_COLUMNS} FROM traces WHERE session_id = ? "
                    "ORDER BY COALESCE(root_start_unix_nano, min_start_unix_nano), trace_id "
                    "LIMIT ?",
                    (session_id, limit),
                )
        return [_trace_summary(r) for r in rows]

    def get_trace(self, trace_id: str) -> TraceSummary | None:
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_TRACE_COLUMNS} FROM traces WHERE trace_id = ?", (trace_id,)
            )
        return _trace_summary(rows[0]) if rows else None

    def get_spans(self, trace_ids: Sequence[str]) -> list[Span]:
        spans: list[Span] = []
        with self._reading() as conn:
            for trace_id in trace_ids:
                rows = conn.execute(
                    """SELECT s.span_pb, c.resource_pb, c.resource_schema_url, c.scope_pb,
                        c.scope_schema_url FROM spans s JOIN scopes c ON c.scope_key = s.scope_key
                    WHERE s.trace_id = ? ORDER BY s.start_time_unix_nano, s.span_id""",
                    (trace_id,),
                )
                for span_pb, resource_pb, resource_url, scope_pb, scope_url in rows:
                    resource, scope = _decode_scope(
                        bytes(resource_pb), resource_url, bytes(scope_pb), scope_url
                    )
                    spans.append(
                        span_from_pb2(trace_pb2.Span.FromString(bytes(span_pb)), resource, scope)
                    )
        return spans

    def get_log_records(self, trace_ids: Sequence[str]) -> list[LogRecord]:
        records: list[LogRecord] = []
        with self._reading() as conn:
            for trace_id in trace_ids:
                rows = conn.execute(
                    """SELECT l.record_pb, c.resource_pb, c.resource_schema_url, c.scope_pb,
                        c.scope_schema_url FROM log_records l
                    JOIN scopes c ON c.scope_key = l.scope_key
                    WHERE l.trace_id = ? ORDER BY l.span_id, l.time_unix_nano, l.record_key""",
                    (trace_id,),
                )
                for record_pb, resource_pb, resource_url, scope_pb, scope_url in rows:
                    resource, scope = _decode_scope(
                        bytes(resource_pb), resource_url, bytes(scope_pb), scope_url
                    )
                    pb2_log = logs_pb2.LogRecord.FromString(bytes(record_pb))
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
        return StoreCounts(int(spans), int(traces), int(sessions), int(logs))

    def save_run(self, run: RunRecord) -> None:
        with self._transaction() as conn:
            _save_run(conn, run)

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM replay_runs WHERE run_id = ?", (run_id,)
            )
        return _run_record(rows[0]) if rows else None

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM replay_runs ORDER BY started_unix_nano DESC LIMIT ?",
                (limit,),
            )
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


def open_store(url: str) -> SqlSpanStore:
    """Open (and migrate) the store named by a URL: `sqlite:///PATH`, a path, or `postgresql://...`."""
    return SqlSpanStore(parse_store_url(url))
