"""Versioned schema migrations, applied in order on open. Never edit a released step: add one."""

from __future__ import annotations

from otel_replay.store.dialect import Connection

# `{int}` and `{blob}` are filled in per dialect (`Dialect.ddl`); steps take no parameters.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: spans, their resource/scope groups, traces summarised per session, log records.
    (
        """CREATE TABLE scopes (
            scope_key TEXT PRIMARY KEY,
            resource_pb {blob} NOT NULL,
            scope_pb {blob} NOT NULL,
            resource_schema_url TEXT NOT NULL,
            scope_schema_url TEXT NOT NULL,
            service_name TEXT NOT NULL
        )""",
        """CREATE TABLE spans (
            trace_id TEXT NOT NULL,
            span_id TEXT NOT NULL,
            parent_span_id TEXT NOT NULL,
            name TEXT NOT NULL,
            kind {int} NOT NULL,
            start_time_unix_nano {int} NOT NULL,
            end_time_unix_nano {int} NOT NULL,
            status_code {int} NOT NULL,
            session_rank {int},
            session_value TEXT,
            scope_key TEXT NOT NULL REFERENCES scopes (scope_key),
            span_pb {blob} NOT NULL,
            PRIMARY KEY (trace_id, span_id)
        )""",
        """CREATE TABLE traces (
            trace_id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            session_rank {int} NOT NULL,
            span_count {int} NOT NULL,
            min_start_unix_nano {int} NOT NULL,
            max_end_unix_nano {int} NOT NULL,
            root_span_id TEXT,
            root_name TEXT,
            root_start_unix_nano {int},
            service_name TEXT NOT NULL
        )""",
        "CREATE INDEX traces_by_session ON traces (session_id, min_start_unix_nano)",
        "CREATE INDEX traces_by_start ON traces (min_start_unix_nano)",
        """CREATE TABLE log_records (
            record_key TEXT PRIMARY KEY,
            trace_id TEXT NOT NULL,
            span_id TEXT NOT NULL,
            time_unix_nano {int} NOT NULL,
            event_name TEXT NOT NULL,
            scope_key TEXT NOT NULL REFERENCES scopes (scope_key),
            record_pb {blob} NOT NULL
        )""",
        "CREATE INDEX log_records_by_span ON log_records (trace_id, span_id, time_unix_nano)",
    ),
    # 2: replay runs, each with its result document (turns, divergences, scores) as JSON text.
    (
        """CREATE TABLE replay_runs (
            run_id TEXT PRIMARY KEY,
            scenario_name TEXT NOT NULL,
            original_session_id TEXT NOT NULL,
            session_id TEXT NOT NULL,
            agent TEXT NOT NULL,
            status TEXT NOT NULL,
            started_unix_nano {int} NOT NULL,
            ended_unix_nano {int} NOT NULL,
            trace_ids TEXT NOT NULL,
            result_json TEXT NOT NULL
        )""",
        "CREATE INDEX replay_runs_by_start ON replay_runs (started_unix_nano)",
        "CREATE INDEX replay_runs_by_original ON replay_runs (original_session_id)",
    ),
    # 3: per trace, the user id and the number of voice/replay turn spans (for turn counts).
    (
        "ALTER TABLE traces ADD COLUMN user_id TEXT",
        "ALTER TABLE traces ADD COLUMN turn_span_count {int} NOT NULL DEFAULT 0",
    ),
    # 4: the user id is merged by key rank like the session id (1000000: no user key seen;
    # a user id stored before this step keeps rank 0, so nothing replaces it). Ids of log
    # records that were all zeros are stored empty, as absent ids are everywhere else.
    (
        "ALTER TABLE traces ADD COLUMN user_rank {int} NOT NULL DEFAULT 1000000",
        "UPDATE traces SET user_rank = 0 WHERE user_id IS NOT NULL",
        "UPDATE log_records SET trace_id = '' WHERE trace_id = '" + "0" * 32 + "'",
        "UPDATE log_records SET span_id = '' WHERE span_id = '" + "0" * 16 + "'",
    ),
    # 5: per trace, what the session list searches and filters on (store/search.py): derived
    # from the spans by the application layer, refilled when the trace's span count moves.
    (
        """CREATE TABLE trace_facts (
            trace_id TEXT PRIMARY KEY,
            span_count {int} NOT NULL,
            has_error {int} NOT NULL,
            has_tool {int} NOT NULL,
            text TEXT NOT NULL
        )""",
    ),
    # 6: per span, what it tells of its trace's turns (store/rows.py, TURN_MARK_*): the session
    # list counts turns from these marks. Spans stored before keep the old count by name.
    (
        "ALTER TABLE spans ADD COLUMN turn_mark {int} NOT NULL DEFAULT 0",
        "UPDATE spans SET turn_mark = 1 WHERE name IN ('user_turn', 'turn', 'voice.turn') "
        "OR substr(name, 1, 17) = 'otel_replay.turn '",
    ),
    # 7: the session list reads traces by their end, latest first (store/search.py).
    ("CREATE INDEX traces_by_end ON traces (max_end_unix_nano, trace_id)",),
    # 8: each log record's arrival position, read back after its time (store/writing.py,
    # write_logs): records sharing a timestamp keep the order they were sent in. Records
    # stored before keep 0, so they tie and keep the order they had (by content key), ahead
    # of every record stored after. The counter hands out positions in write order.
    (
        "ALTER TABLE log_records ADD COLUMN arrival_order {int} NOT NULL DEFAULT 0",
        """CREATE TABLE ingest_counters (
            name TEXT PRIMARY KEY,
            value {int} NOT NULL
        )""",
        "INSERT INTO ingest_counters (name, value) VALUES ('log_records', 0)",
    ),
    # 9: the search facts' text indexed for substring search (store/search.py): SQLite's FTS5
    # trigram index, PostgreSQL's pg_trgm GIN index (dialect.py, `_DIALECT_STEPS`).
    ("@trace_text_index",),
)

SCHEMA_VERSION = len(MIGRATIONS)


def apply_migrations(conn: Connection) -> int:
    """Bring the schema up to date in one transaction; returns the version now in force."""
    conn.begin()
    try:
        conn.lock_for_migration()
        dialect = conn.dialect
        conn.execute(
            dialect.ddl("CREATE TABLE IF NOT EXISTS otel_replay_schema (version {int} PRIMARY KEY)")
        )
        rows = conn.execute("SELECT MAX(version) FROM otel_replay_schema")
        current = int(rows[0][0]) if rows and rows[0][0] is not None else 0
        if current > SCHEMA_VERSION:
            from otel_replay.core.errors import BadInputError

            raise BadInputError(
                f"store schema version {current} is newer than this otel-replay "
                f"({SCHEMA_VERSION}): upgrade otel-replay"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for template in MIGRATIONS[version - 1]:
                for statement in dialect.ddl_statements(template):
                    conn.execute(statement)
            conn.execute(
                f"INSERT INTO otel_replay_schema (version) VALUES ({dialect.placeholder})",
                (version,),
            )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return SCHEMA_VERSION
