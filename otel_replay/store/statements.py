"""Every SQL statement of the store, built once per dialect from named columns.

Column lists come from the row types' field names, placeholders from the `Dialect`; nothing
is rewritten per call. Rows read back are named tuples whose fields are the selected names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import NamedTuple

from otel_replay.store.base import RunRecord
from otel_replay.store.dialect import Dialect

# Trace ids per query when loading spans or log records: a bounded number of parameters
# (SQLite allows 32766), and a bounded number of queries per session.
ID_BATCH = 500


class TraceSummaryRow(NamedTuple):
    trace_id: str
    session_id: str
    session_rank: int
    span_count: int
    start_time_unix_nano: int  # the root's start, or the earliest span's while it is missing
    end_time_unix_nano: int
    root_span_id: str | None
    root_name: str | None
    service_name: str
    user_id: str | None
    turn_span_count: int


_TRACE_SUMMARY = {
    "start_time_unix_nano": "COALESCE(root_start_unix_nano, min_start_unix_nano)",
    "end_time_unix_nano": "max_end_unix_nano",
}


class SessionSummaryRow(NamedTuple):
    session_id: str
    trace_count: int
    span_count: int
    first_start_unix_nano: int
    last_end_unix_nano: int
    service_name: str | None
    turn_count: int


_SESSION_SUMMARY = {
    "trace_count": "COUNT(*)",
    "span_count": "SUM(span_count)",
    "first_start_unix_nano": "MIN(COALESCE(root_start_unix_nano, min_start_unix_nano))",
    "last_end_unix_nano": "MAX(max_end_unix_nano)",
    "service_name": "MIN(service_name)",
    # Voice and replay traces hold several turns; any other trace is one.
    # A trace that continues the turn before it (turn_span_count -1) adds none, unless it is
    # the session's first.
    "turn_count": "SUM(CASE WHEN turn_span_count > 0 THEN turn_span_count "
    "WHEN turn_span_count < 0 THEN 0 ELSE 1 END) + CASE WHEN MIN(CASE WHEN turn_span_count < 0 "
    "THEN COALESCE(root_start_unix_nano, min_start_unix_nano) END) = "
    "MIN(COALESCE(root_start_unix_nano, min_start_unix_nano)) THEN 1 ELSE 0 END",
}


class StoredRecordRow(NamedTuple):
    """A stored span or log record message with its resource and scope messages."""

    trace_id: str
    record_pb: bytes
    resource_pb: bytes
    resource_schema_url: str
    scope_pb: bytes
    scope_schema_url: str


# `replay_runs` has a column per RunRecord field (trace_ids as a JSON array).
RUN_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(RunRecord))


def _select_list(names: Sequence[str], expressions: Mapping[str, str]) -> str:
    """Names as a select list: the column of that name, or `expression AS name`."""
    return ", ".join(f"{expressions[n]} AS {n}" if n in expressions else n for n in names)


def _insert(dialect: Dialect, table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({dialect.params(len(columns))})"


def _keep_lower(column: str, rank: str) -> str:
    """An upsert assignment: the incoming value when its rank is lower (better)."""
    return (
        f"{column} = CASE WHEN excluded.{rank} < traces.{rank} "
        f"THEN excluded.{column} ELSE traces.{column} END"
    )


@dataclass(frozen=True)
class Statements:
    """The store's reading SQL (and runs) in one dialect."""

    list_sessions: str
    list_traces: str
    list_keyless_traces: str
    list_session_traces: str
    get_trace: str
    get_spans: str  # of ID_BATCH trace ids
    get_log_records: str  # of ID_BATCH trace ids
    save_run: str
    get_run: str
    list_runs: str


@dataclass(frozen=True)
class WriteStatements:
    """The store's SQL for writing spans and log records in one dialect."""

    insert_scope: str
    insert_span: str  # a span already stored is left as it is
    insert_new_span: str  # fails on a span already stored (the fast path of a write)
    insert_log: str
    reserve_log_arrivals: str  # adds n to the log arrival counter; returns its new value
    lock_trace: str  # inserts a trace row, or locks the stored one without changing it
    upsert_trace: str
    count_trace_spans: str
    stored_span_ids: str  # (trace_id, span_id) of the spans stored of ID_BATCH traces


@cache
def build_statements(dialect: Dialect) -> Statements:
    """The reading statements of one dialect (built once, then shared)."""
    p = dialect.placeholder
    trace_summary = f"SELECT {_select_list(TraceSummaryRow._fields, _TRACE_SUMMARY)} FROM traces"
    stored = (
        "{alias}.trace_id, {alias}.{pb} AS record_pb, c.resource_pb, c.resource_schema_url, "
        "c.scope_pb, c.scope_schema_url"
    )
    return Statements(
        list_sessions=f"""SELECT {_select_list(SessionSummaryRow._fields, _SESSION_SUMMARY)}
            FROM traces WHERE session_rank < {p} GROUP BY session_id
            ORDER BY MAX(max_end_unix_nano) DESC, session_id LIMIT {p}""",
        list_traces=f"{trace_summary} ORDER BY min_start_unix_nano DESC, trace_id LIMIT {p}",
        list_keyless_traces=f"{trace_summary} WHERE session_rank >= {p} "
        f"ORDER BY min_start_unix_nano DESC, trace_id LIMIT {p}",
        list_session_traces=f"{trace_summary} WHERE session_id = {p} "
        f"ORDER BY COALESCE(root_start_unix_nano, min_start_unix_nano), trace_id LIMIT {p}",
        get_trace=f"{trace_summary} WHERE trace_id = {p}",
        get_spans=f"SELECT {stored.format(alias='s', pb='span_pb')} FROM spans s "
        "JOIN scopes c ON c.scope_key = s.scope_key "
        f"WHERE {dialect.in_values('s.trace_id', ID_BATCH)} "
        "ORDER BY s.trace_id, s.start_time_unix_nano, s.span_id",
        get_log_records=f"SELECT {stored.format(alias='l', pb='record_pb')} FROM log_records l "
        "JOIN scopes c ON c.scope_key = l.scope_key "
        f"WHERE {dialect.in_values('l.trace_id', ID_BATCH)} "
        # Time, then arrival (records of one model call often share a millisecond); the
        # content key only orders records stored before arrival was kept (migration 8).
        "ORDER BY l.trace_id, l.span_id, l.time_unix_nano, l.arrival_order, l.record_key",
        save_run=_insert(dialect, "replay_runs", RUN_COLUMNS)
        + """ ON CONFLICT (run_id) DO UPDATE SET status = excluded.status,
            ended_unix_nano = excluded.ended_unix_nano, trace_ids = excluded.trace_ids,
            result_json = excluded.result_json""",
        get_run=f"SELECT {', '.join(RUN_COLUMNS)} FROM replay_runs WHERE run_id = {p}",
        list_runs=f"SELECT {', '.join(RUN_COLUMNS)} FROM replay_runs "
        f"ORDER BY started_unix_nano DESC LIMIT {p}",
    )


@cache
def build_write_statements(dialect: Dialect) -> WriteStatements:
    """The writing statements of one dialect, built on the first write (the row types they
    are named from import protobuf, which listing sessions does not need)."""
    from otel_replay.store.rows import LogRow, ScopeRow, SpanRow, TraceRow

    p = dialect.placeholder
    trace_values = f"({', '.join(TraceRow._fields)}, span_count) VALUES "
    trace_values += f"({dialect.params(len(TraceRow._fields))}, 0)"
    return WriteStatements(
        insert_scope=_insert(dialect, "scopes", ScopeRow._fields)
        + " ON CONFLICT (scope_key) DO NOTHING",
        insert_span=_insert(dialect, "spans", SpanRow._fields)
        + " ON CONFLICT (trace_id, span_id) DO NOTHING",
        insert_new_span=_insert(dialect, "spans", SpanRow._fields),
        insert_log=_insert(dialect, "log_records", LogRow._fields)
        + " ON CONFLICT (record_key) DO NOTHING",
        # On PostgreSQL this locks the counter until commit: log writes take their positions
        # in commit order, so a later commit never sorts ahead of an earlier one.
        reserve_log_arrivals=f"UPDATE ingest_counters SET value = value + {p} "
        "WHERE name = 'log_records' RETURNING value",
        # DO UPDATE (not DO NOTHING) so that PostgreSQL locks the stored row: a second
        # writer of the trace waits for our commit.
        lock_trace=f"INSERT INTO traces {trace_values} "
        "ON CONFLICT (trace_id) DO UPDATE SET span_count = traces.span_count",
        # The span count starts at 0 and is recounted after the spans go in. Merging is
        # order-independent (best rank, min/max, first root), so spans may arrive in any order.
        upsert_trace=f"""INSERT INTO traces {trace_values}
            ON CONFLICT (trace_id) DO UPDATE SET
            {_keep_lower("session_id", "session_rank")},
            {_keep_lower("session_rank", "session_rank")},
            {_keep_lower("user_id", "user_rank")},
            {_keep_lower("user_rank", "user_rank")},
            min_start_unix_nano = CASE
                WHEN excluded.min_start_unix_nano < traces.min_start_unix_nano
                THEN excluded.min_start_unix_nano ELSE traces.min_start_unix_nano END,
            max_end_unix_nano = CASE WHEN excluded.max_end_unix_nano > traces.max_end_unix_nano
                THEN excluded.max_end_unix_nano ELSE traces.max_end_unix_nano END,
            root_span_id = COALESCE(traces.root_span_id, excluded.root_span_id),
            root_name = COALESCE(traces.root_name, excluded.root_name),
            root_start_unix_nano = COALESCE(
                traces.root_start_unix_nano, excluded.root_start_unix_nano),
            service_name = CASE
                WHEN excluded.root_span_id IS NOT NULL AND traces.root_span_id IS NULL
                THEN excluded.service_name ELSE traces.service_name END""",
        # Voice frameworks (LiveKit `user_turn`, Pipecat `turn`) and our replays
        # (`otel_replay.turn N`) hold a whole conversation in one trace: their turn spans count;
        # -1 when the trace continues the turn of the trace before it (store/rows.py).
        # One pass over the trace's spans (the turn marks are read from the rows themselves).
        count_trace_spans=f"""UPDATE traces SET (span_count, turn_span_count) = (
            SELECT COUNT(*), CASE WHEN COALESCE(SUM(CASE WHEN turn_mark = 2 THEN 1 ELSE 0 END),
                0) > 0 THEN -1
                ELSE COALESCE(SUM(CASE WHEN turn_mark = 1 THEN 1 ELSE 0 END), 0) END
            FROM spans WHERE spans.trace_id = traces.trace_id)
            WHERE trace_id = {p}""",
        stored_span_ids="SELECT trace_id, span_id FROM spans "
        f"WHERE {dialect.in_values('trace_id', ID_BATCH)}",
    )


def id_batches(ids: Sequence[str], dialect: Dialect) -> list[tuple[object, ...]]:
    """The parameters of one `get_spans`/`get_log_records` query per ID_BATCH ids; the last
    batch is padded with a repeated id, so one statement serves every batch."""
    batches = []
    for start in range(0, len(ids), ID_BATCH):
        chunk = list(ids[start : start + ID_BATCH])
        chunk += [chunk[-1]] * (ID_BATCH - len(chunk))
        batches.append(dialect.in_params(chunk))
    return batches
