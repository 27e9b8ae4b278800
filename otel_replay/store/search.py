"""Browsing the store: a filtered, paginated session list, the per-trace facts it searches, and
the housekeeping statements (delete, prune).

The facts (`trace_facts`) are derived data: the conversation text, whether a span failed and
whether a tool ran, per trace, with the span count they were computed at. The application
layer fills them (`app.browse.index_trace_facts`) and refills a trace whose span count moved;
dropping them loses nothing. Statements are built once per dialect and set of filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple, Protocol

from otel_replay.store.base import SpanStore
from otel_replay.store.dialect import Dialect

# A replay's trace is rooted in `otel_replay.replay SCENARIO` (replay/runner.py). Compared
# with substr: a literal % in SQL text would need a per-dialect escape.
REPLAY_ROOT_PREFIX = "otel_replay.replay "
_IS_REPLAY = f"substr(t.root_name, 1, {len(REPLAY_ROOT_PREFIX)}) = '{REPLAY_ROOT_PREFIX}'"
_IS_REPLAY_OR_NULL = f"COALESCE({_IS_REPLAY}, FALSE)"


class TraceFacts(NamedTuple):
    """A row of `trace_facts`: field names are its column names."""

    trace_id: str
    span_count: int  # of the trace when the facts were computed
    has_error: int  # 0 or 1
    has_tool: int  # 0 or 1
    text: str  # the conversation's user and assistant text, lowercased


@dataclass(frozen=True)
class SessionFilter:
    """What the session list shows; empty fields do not filter."""

    text: str = ""  # a part of the session id, the user id or the conversation (any case)
    service: str = ""
    since_unix_nano: int | None = None  # sessions that ended at or after
    until_unix_nano: int | None = None  # sessions that started at or before
    has_errors: bool = False
    has_tools: bool = False
    voice: bool = False
    include_replays: bool = False


class SessionRow(NamedTuple):
    """One session of the list."""

    session_id: str
    trace_count: int
    span_count: int
    first_start_unix_nano: int
    last_end_unix_nano: int
    service_name: str | None
    turn_count: int
    user_id: str | None
    is_replay: int
    has_error: int
    has_tool: int
    is_voice: int


_FLAG = "MAX(CASE WHEN {condition} THEN 1 ELSE 0 END)"
_SESSION_ROW = {
    "trace_count": "COUNT(*)",
    "span_count": "SUM(t.span_count)",
    "first_start_unix_nano": "MIN(COALESCE(t.root_start_unix_nano, t.min_start_unix_nano))",
    "last_end_unix_nano": "MAX(t.max_end_unix_nano)",
    "service_name": "MIN(t.service_name)",
    # As statements.py counts them: a trace that continues the turn before it adds none,
    # unless it is the session's first.
    "turn_count": "SUM(CASE WHEN t.turn_span_count > 0 THEN t.turn_span_count "
    "WHEN t.turn_span_count < 0 THEN 0 ELSE 1 END) + CASE WHEN MIN(CASE WHEN "
    "t.turn_span_count < 0 THEN COALESCE(t.root_start_unix_nano, t.min_start_unix_nano) END) "
    "= MIN(COALESCE(t.root_start_unix_nano, t.min_start_unix_nano)) THEN 1 ELSE 0 END",
    "user_id": "MAX(t.user_id)",
    "is_replay": _FLAG.format(condition=_IS_REPLAY),
    "has_error": _FLAG.format(condition="f.has_error = 1"),
    "has_tool": _FLAG.format(condition="f.has_tool = 1"),
    # Voice frameworks hold a whole conversation in one trace of turn spans; replays do too.
    "is_voice": _FLAG.format(condition=f"t.turn_span_count > 0 AND NOT ({_IS_REPLAY})"),
}


class SearchStore(SpanStore, Protocol):
    """A span store that can be browsed and cleaned up (the SQL store is one)."""

    def stale_fact_traces(self, limit: int, latest: int | None = None) -> list[str]: ...

    def change_marker(self) -> str: ...

    def save_trace_facts(self, facts: list[TraceFacts]) -> None: ...

    def search_sessions(
        self, session_filter: SessionFilter, limit: int, offset: int = 0
    ) -> list[SessionRow]: ...

    def session_services(self) -> list[str]: ...

    def delete_sessions(self, session_ids: list[str]) -> int: ...

    def delete_runs(self, run_ids: list[str]) -> int: ...

    def sessions_ended_before(self, unix_nano: int, limit: int) -> list[str]: ...

    def runs_ended_before(self, unix_nano: int, limit: int) -> list[str]: ...


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape character `\\`) matching `text` anywhere, lowercased."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def searched_text(f: SessionFilter) -> str:
    """The filter's text as searched: without NUL characters, which no store keeps in text
    (PostgreSQL refuses them as parameters, SQLite's FTS5 ends a query at one)."""
    return f.text.replace("\x00", "")


@dataclass(frozen=True)
class SearchShape:
    """Which filters a session search uses: one statement per shape and dialect."""

    text: bool
    short_text: bool  # under 3 characters: not served by the full-text index
    service: bool
    since: bool
    until: bool
    has_errors: bool
    has_tools: bool
    voice: bool
    include_replays: bool

    @classmethod
    def of(cls, f: SessionFilter) -> SearchShape:
        return cls(
            text=bool(searched_text(f)),
            short_text=0 < len(searched_text(f)) < SHORT_TEXT,
            service=bool(f.service),
            since=f.since_unix_nano is not None,
            until=f.until_unix_nano is not None,
            has_errors=f.has_errors,
            has_tools=f.has_tools,
            voice=f.voice,
            include_replays=f.include_replays,
        )


def search_params(f: SessionFilter) -> tuple[object, ...]:
    """The filter parameters of `search_traces_sql(dialect, SearchShape.of(f), ...)`, in its
    order (the keyset and the limit follow)."""
    params: list[object] = []
    if f.service:
        params.append(f.service)
    if f.since_unix_nano is not None:
        params.append(f.since_unix_nano)
    if f.until_unix_nano is not None:
        params.append(f.until_unix_nano)
    text = searched_text(f)
    if text:
        params.extend([like_pattern(text)] * 2)
        params.append(text.lower())  # taken literally by `Dialect.text_contains`
    return tuple(params)


# Text shorter than this (in characters) has no trigram: it is searched without the index.
SHORT_TEXT = 3

# Trace rows a session search reads at first, the most it reads in one query (doubling from
# the first), and how many queries it makes at most.
SEARCH_FIRST_SCAN = 256
SEARCH_MAX_SCAN = 65_536
SEARCH_MAX_SCANS = 64
SEARCH_ALL_TRACES = 1 << 62  # a LIMIT that bounds nothing
_FACTS_JOIN = " LEFT JOIN trace_facts f ON f.trace_id = t.trace_id"


@cache
def search_traces_sql(dialect: Dialect, shape: SearchShape, after: bool) -> str:
    """The traces that match the filters, latest end first, as (session id, end, trace id):
    a session matches when one of its traces does, and the first time a session appears in
    this order is its place in the list. `after` continues below a (end, trace id) keyset,
    so a long scan reads each trace once (`traces_by_end`)."""
    p = dialect.placeholder
    where = []
    if shape.service:
        where.append(f"t.service_name = {p}")
    if shape.since:
        where.append(f"t.max_end_unix_nano >= {p}")
    if shape.until:
        where.append(f"t.min_start_unix_nano <= {p}")
    if shape.text:
        # The matches are found once, before the traces are read: the conversation text's
        # through the full-text index, the ids' in one pass over the traces. Only matching
        # traces are read then (by id), not every trace with the conditions ORed.
        where.append(
            "t.trace_id IN (SELECT trace_id FROM traces WHERE "
            f"{dialect.contains_any_case('session_id')} OR {dialect.contains_any_case('user_id')} "
            f"UNION ALL {dialect.text_contains(shape.short_text)})"
        )
    if shape.has_errors:
        where.append("f.has_error = 1")
    if shape.has_tools:
        where.append("f.has_tool = 1")
    if shape.voice:
        where.append(f"t.turn_span_count > 0 AND NOT ({_IS_REPLAY})")
    if not shape.include_replays:
        where.append(f"NOT ({_IS_REPLAY_OR_NULL})")
    if after:
        where.append(
            f"(t.max_end_unix_nano < {p} OR (t.max_end_unix_nano = {p} AND t.trace_id < {p}))"
        )
    needs_facts = shape.has_errors or shape.has_tools
    return (
        "SELECT t.session_id, t.max_end_unix_nano, t.trace_id FROM traces t"
        + (_FACTS_JOIN if needs_facts else "")
        + (f" WHERE {' AND '.join(where)}" if where else "")
        # A text search reads every trace anyway: sorting its matches (`+ 0` keeps SQLite off
        # the end index) beats visiting each trace row in index order.
        + f" ORDER BY t.max_end_unix_nano{' + 0' if shape.text else ''} DESC, t.trace_id DESC"
        + f" LIMIT {p}"
    )


@cache
def session_rows_sql(dialect: Dialect, count: int) -> str:
    """The list rows of `count` sessions (by id, padded as `in_values` wants)."""
    columns = ", ".join(
        f"{_SESSION_ROW[n]} AS {n}" if n in _SESSION_ROW else f"t.{n}" for n in SessionRow._fields
    )
    return (
        f"SELECT {columns} FROM traces t{_FACTS_JOIN} "
        f"WHERE {dialect.in_values('t.session_id', count)} GROUP BY t.session_id"
    )


@dataclass(frozen=True)
class SearchStatements:
    """The fixed statements of browsing and housekeeping, in one dialect."""

    stale_fact_traces: str
    upsert_trace_facts: str
    session_services: str
    session_trace_ids: str
    delete_spans: str  # of ID_BATCH trace ids, like the rest below
    delete_log_records: str
    delete_trace_facts: str
    delete_traces: str
    delete_runs_of_session: str
    delete_run: str
    sessions_ended_before: str
    runs_ended_before: str


@cache
def build_search_statements(dialect: Dialect, batch: int) -> SearchStatements:
    p = dialect.placeholder
    columns = TraceFacts._fields
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    return SearchStatements(
        # Among the `latest` traces by end (a bound for requests; the background indexer
        # passes all of them).
        stale_fact_traces="SELECT t.trace_id FROM (SELECT trace_id, span_count, "
        f"max_end_unix_nano FROM traces ORDER BY max_end_unix_nano DESC LIMIT {p}) t "
        "LEFT JOIN trace_facts f ON f.trace_id = t.trace_id "
        "WHERE f.trace_id IS NULL OR f.span_count <> t.span_count "
        f"ORDER BY t.max_end_unix_nano DESC LIMIT {p}",
        upsert_trace_facts=f"INSERT INTO trace_facts ({', '.join(columns)}) "
        f"VALUES ({dialect.params(len(columns))}) "
        f"ON CONFLICT (trace_id) DO UPDATE SET {updates}",
        # From the resource groups (a few rows), not the traces (every row).
        session_services="SELECT DISTINCT service_name FROM scopes ORDER BY service_name",
        session_trace_ids=f"SELECT trace_id FROM traces WHERE session_id = {p}",
        delete_spans=f"DELETE FROM spans WHERE {dialect.in_values('trace_id', batch)}",
        delete_log_records=f"DELETE FROM log_records WHERE {dialect.in_values('trace_id', batch)}",
        delete_trace_facts=f"DELETE FROM trace_facts WHERE {dialect.in_values('trace_id', batch)}",
        delete_traces=f"DELETE FROM traces WHERE {dialect.in_values('trace_id', batch)}",
        delete_runs_of_session=f"DELETE FROM replay_runs WHERE session_id = {p}",
        delete_run=f"DELETE FROM replay_runs WHERE run_id = {p}",
        sessions_ended_before="SELECT session_id FROM traces GROUP BY session_id "
        f"HAVING MAX(max_end_unix_nano) < {p} ORDER BY MAX(max_end_unix_nano) LIMIT {p}",
        runs_ended_before=f"SELECT run_id FROM replay_runs WHERE ended_unix_nano < {p} "
        f"ORDER BY ended_unix_nano LIMIT {p}",
    )
