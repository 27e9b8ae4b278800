"""The one place that knows SQLite from PostgreSQL: connecting, placeholders, DDL types."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from otel_replay.core.errors import BadInputError, StoreUnavailableError


class DialectName(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


DEFAULT_STORE_URL = "sqlite:///otel-replay.db"


class StoreRejectedError(Exception):
    """The database refused rows for what they hold (a permanent fault of the data, not of the
    store): retrying the same rows fails the same way. `reason` names the fault (its SQLSTATE or
    error class), never the data."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the store refused the data ({reason})")
        self.reason = reason


@dataclass(frozen=True)
class StoreTimeouts:
    """How long PostgreSQL writes may wait before the store reports itself unavailable.

    `lock_seconds` is the server's lock_timeout (every statement); `statement_seconds` its
    statement_timeout in write transactions; `transaction_seconds` bounds a whole write
    transaction from the client side, for a server that stops answering altogether (a frozen
    backend runs no timers of its own). All answer before an exporter's 10 s default timeout.
    Reads (listings, the UI) are not cut short.
    """

    lock_seconds: float = 3.0
    statement_seconds: float = 5.0
    transaction_seconds: float = 8.0


DEFAULT_TIMEOUTS = StoreTimeouts()

# SQLite primary result codes that mean the database cannot be written right now (busy, locked,
# out of memory, read-only, interrupted, I/O error, disk full, cannot open, lock protocol).
_SQLITE_UNAVAILABLE = frozenset({5, 6, 7, 8, 9, 10, 13, 14, 15})
# PostgreSQL SQLSTATE classes of a store that is down, busy or out of resources: connection
# exception, transaction rollback (serialization, deadlock), insufficient resources, object
# not in prerequisite state (lock not available), operator intervention (statement timeout,
# shutdown), system error. Class 54 (program limit exceeded) is the data's fault.
_POSTGRESQL_UNAVAILABLE = frozenset({"08", "40", "53", "55", "57", "58"})


@dataclass(frozen=True)
class StoreUrl:
    dialect: DialectName
    target: str  # a file path for SQLite, a libpq conninfo URL for PostgreSQL

    def __str__(self) -> str:
        if self.dialect is DialectName.SQLITE:
            return f"sqlite:///{self.target}"
        return _redact_password(self.target)


def _redact_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    return f"{scheme}{sep}{creds.split(':', 1)[0]}:***@{host}"


def parse_store_url(url: str) -> StoreUrl:
    """Parse `sqlite:///path`, a bare file path, or `postgresql://...`."""
    if url.startswith(("postgresql://", "postgres://")):
        return StoreUrl(DialectName.POSTGRESQL, url)
    if url.startswith("sqlite://"):
        path = url[len("sqlite://") :]
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise BadInputError(f"store URL {url!r} names no file: use sqlite:///PATH")
        return StoreUrl(DialectName.SQLITE, path)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise BadInputError(
            f"unknown store URL scheme {scheme!r}: use sqlite:///PATH or postgresql://..."
        )
    return StoreUrl(DialectName.SQLITE, url)


@dataclass(frozen=True)
class Dialect:
    """How our SQL is spelled in one database: its placeholder and its column types.

    Statements are built from these once per dialect (see `store/statements.py`), never
    rewritten per call.
    """

    name: DialectName
    placeholder: str
    int_type: str
    blob_type: str
    # A cheap value that moves whenever another connection commits (the facts indexer's gate,
    # store/search.py): SQLite's data version of the file; PostgreSQL's snapshot (cluster-wide,
    # so other databases' writes move it too: a spare scan, never a missed one).
    change_marker: str

    def params(self, count: int) -> str:
        """`count` placeholders, comma-separated."""
        return ", ".join([self.placeholder] * count)

    def ddl(self, template: str) -> str:
        """A DDL template with its `{int}` and `{blob}` column types filled in."""
        return template.format(int=self.int_type, blob=self.blob_type)

    def in_values(self, column: str, count: int) -> str:
        """A condition that `column` is one of `count` values, given by `in_params`."""
        if self.name is DialectName.POSTGRESQL:
            return f"{column} = ANY({self.placeholder})"
        return f"{column} IN ({self.params(count)})"

    def in_params(self, values: Sequence[Any]) -> tuple[Any, ...]:
        """The parameters of an `in_values` condition."""
        if self.name is DialectName.POSTGRESQL:
            return (list(values),)
        return tuple(values)

    def contains_any_case(self, column: str) -> str:
        """A condition that `column` matches a LIKE pattern (escape `\\`) in any case:
        SQLite's LIKE folds ASCII case itself (faster than LOWER() on every row), PostgreSQL
        has ILIKE."""
        operator = "ILIKE" if self.name is DialectName.POSTGRESQL else "LIKE"
        return f"{column} {operator} {self.placeholder} ESCAPE '\\'"

    def ddl_statements(self, template: str) -> tuple[str, ...]:
        """A migration step's statement in this dialect: a DDL template (`ddl`), or a named
        per-dialect step (`@name`, see `_DIALECT_STEPS`) as its statements."""
        if template.startswith("@"):
            return _DIALECT_STEPS[self.name][template[1:]]
        return (self.ddl(template),)

    def text_contains(self, short: bool) -> str:
        """A query of the trace ids whose search facts' text (lowercased) contains one
        parameter (lowercased, taken literally: no FTS or LIKE syntax): through the full-text
        index (`@trace_text_index`), or for `short` text (under 3 characters, which trigrams
        cannot index) by reading every text."""
        p = self.placeholder
        if self.name is DialectName.POSTGRESQL:
            # pg_trgm's GIN index serves LIKE; the pattern is escaped here, from the
            # parameter (`%%`: a literal % in a statement with parameters).
            pattern = (
                f"'%%' || replace(replace(replace({p}, '\\', '\\\\'), '%%', '\\%%'), "
                "'_', '\\_') || '%%'"
            )
            return f"SELECT trace_id FROM trace_facts WHERE text LIKE {pattern} ESCAPE '\\'"
        if short:
            return f"SELECT trace_id FROM trace_facts WHERE instr(text, {p}) > 0"
        # The trigram tokenizer matches a quoted phrase as a substring; inside the quotes
        # only `"` is special (doubled).
        return (
            "SELECT trace_id FROM trace_facts WHERE rowid IN (SELECT rowid FROM trace_text "
            f"WHERE trace_text MATCH '\"' || replace({p}, '\"', '\"\"') || '\"')"
        )


# Per-dialect migration steps (store/migrations.py names them as `@name`).
_DIALECT_STEPS: dict[DialectName, dict[str, tuple[str, ...]]] = {
    # The search facts' text indexed for substring search (store/search.py): an FTS5 trigram
    # index kept in step with trace_facts by triggers (its rows are the facts' rows).
    DialectName.SQLITE: {
        "trace_text_index": (
            "CREATE VIRTUAL TABLE trace_text USING fts5(text, content='trace_facts', "
            "content_rowid='rowid', tokenize='trigram')",
            "CREATE TRIGGER trace_facts_text_insert AFTER INSERT ON trace_facts BEGIN "
            "INSERT INTO trace_text (rowid, text) VALUES (new.rowid, new.text); END",
            "CREATE TRIGGER trace_facts_text_delete AFTER DELETE ON trace_facts BEGIN "
            "INSERT INTO trace_text (trace_text, rowid, text) "
            "VALUES ('delete', old.rowid, old.text); END",
            "CREATE TRIGGER trace_facts_text_update AFTER UPDATE OF text ON trace_facts BEGIN "
            "INSERT INTO trace_text (trace_text, rowid, text) "
            "VALUES ('delete', old.rowid, old.text); "
            "INSERT INTO trace_text (rowid, text) VALUES (new.rowid, new.text); END",
            "INSERT INTO trace_text (trace_text) VALUES ('rebuild')",
        ),
    },
    # pg_trgm's GIN index, where the server has the extension (a server without it still
    # searches, by reading every text).
    DialectName.POSTGRESQL: {
        "trace_text_index": (
            "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; "
            "EXECUTE 'CREATE INDEX trace_facts_text_trgm ON trace_facts "
            "USING gin (text gin_trgm_ops)'; "
            "EXCEPTION WHEN undefined_file OR insufficient_privilege OR feature_not_supported "
            "THEN RAISE NOTICE 'pg_trgm is not available: text search reads every text'; "
            "END $$",
        ),
    },
}


SQLITE = Dialect(DialectName.SQLITE, "?", "INTEGER", "BLOB", "PRAGMA data_version")
POSTGRESQL = Dialect(
    DialectName.POSTGRESQL, "%s", "BIGINT", "BYTEA", "SELECT pg_current_snapshot()::text"
)
DIALECTS: dict[DialectName, Dialect] = {SQLITE.name: SQLITE, POSTGRESQL.name: POSTGRESQL}


class Connection:
    """A DB-API connection; statements come already spelled for its `dialect`."""

    def __init__(self, url: StoreUrl, timeouts: StoreTimeouts = DEFAULT_TIMEOUTS) -> None:
        self.url = url
        self.dialect = DIALECTS[url.dialect]
        self.timeouts = timeouts
        self._postgresql = url.dialect is DialectName.POSTGRESQL
        self._raw: Any
        if self._postgresql:
            self._raw = _connect_postgresql(url.target, timeouts)
        else:
            self._raw = _connect_sqlite(url.target, timeouts.statement_seconds)
        self._checkpointer: _WalCheckpointer | None = None
        if not self._postgresql and url.target != ":memory:":
            self._checkpointer = _WalCheckpointer(url.target)

    def begin(self) -> None:
        if self._postgresql:
            # SET LOCAL ends with the transaction: reads keep no statement timeout.
            millis = int(self.timeouts.statement_seconds * 1000)
            self._raw.execute(f"SET LOCAL statement_timeout = {millis}")
        else:
            # IMMEDIATE takes the write lock now, so a second writer waits (busy_timeout)
            # instead of failing at commit time.
            self._raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        if self._postgresql:
            self._raw.commit()
            return
        self._raw.execute("COMMIT")
        if self._checkpointer is not None:
            self._checkpointer.wake()

    def rollback(self) -> None:
        if self._postgresql:
            if not self.is_broken():
                self._raw.rollback()
        elif self._raw.in_transaction:
            self._raw.execute("ROLLBACK")

    def is_broken(self) -> bool:
        """True when the server dropped the connection (a PostgreSQL restart or failover)."""
        if self._postgresql:
            return bool(self._raw.closed or self._raw.broken)
        return False

    def savepoint(self) -> None:
        self.execute("SAVEPOINT otel_replay_write")

    def rollback_to_savepoint(self) -> None:
        self.execute("ROLLBACK TO SAVEPOINT otel_replay_write")

    def release_savepoint(self) -> None:
        self.execute("RELEASE SAVEPOINT otel_replay_write")

    def watchdog(self) -> threading.Timer | None:
        """A started timer that cuts the connection once the transaction outlives
        `transaction_seconds` (PostgreSQL only; cancel it when the transaction ends)."""
        if not self._postgresql:
            return None
        timer = threading.Timer(self.timeouts.transaction_seconds, self.abort)
        timer.daemon = True
        timer.start()
        return timer

    def abort(self) -> None:
        """Shut the connection's socket down: a call blocked on a server that stopped answering
        fails at once as a lost connection, and the store reconnects on its next use."""
        import socket  # only here: listing sessions does not load it

        try:
            duplicate = os.dup(self._raw.fileno())
        except Exception:  # already closed: nothing is blocked on it
            return
        with socket.socket(fileno=duplicate) as sock, suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def classify(self, exc: BaseException) -> type[Exception] | None:
        """StoreUnavailableError for a store that is down, busy or full (retryable),
        StoreRejectedError for data the database refuses (permanent), None when unknown."""
        if isinstance(exc, UnicodeError):  # text the driver cannot encode
            return StoreRejectedError
        if not self._postgresql:
            code = getattr(exc, "sqlite_errorcode", None)
            if isinstance(exc, sqlite3.OperationalError) and (
                code is None or code & 0xFF in _SQLITE_UNAVAILABLE
            ):
                return StoreUnavailableError
            if isinstance(exc, sqlite3.DataError | sqlite3.IntegrityError):
                return StoreRejectedError
            return None
        import psycopg

        if self.is_broken():
            return StoreUnavailableError
        sqlstate = getattr(exc, "sqlstate", None) or ""
        if sqlstate[:2] in _POSTGRESQL_UNAVAILABLE:
            return StoreUnavailableError
        if isinstance(exc, psycopg.DataError | psycopg.IntegrityError) or sqlstate[:2] == "54":
            return StoreRejectedError
        if isinstance(exc, psycopg.OperationalError):
            return StoreUnavailableError
        return None

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._raw.cursor()
        try:
            cursor.execute(statement, params)
            rows = cursor.fetchall() if cursor.description is not None else []
            return [tuple(row) for row in rows]
        finally:
            cursor.close()

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        cursor = self._raw.cursor()
        try:
            # Plain tuples: sqlite3 binds a named tuple (any tuple subclass) through the slow
            # generic path, about 8k more instructions per row than the copy costs.
            cursor.executemany(statement, map(tuple, rows))
        finally:
            cursor.close()

    def lock_for_migration(self) -> None:
        """Serialise schema migrations between processes sharing one database."""
        if self._postgresql:
            # A migration may wait for another process's and may rewrite large tables: the
            # ingest timeouts do not apply to it.
            self._raw.execute("SET LOCAL lock_timeout = 0")
            self._raw.execute("SET LOCAL statement_timeout = 0")
            self._raw.execute("SELECT pg_advisory_xact_lock(7405022301)")

    def integrity_problems(self) -> list[str]:
        """What the database's own consistency check reports (empty when sound)."""
        if not self._postgresql:
            rows = self.execute("PRAGMA integrity_check")
            return [str(r[0]) for r in rows if r[0] != "ok"]
        return []

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._raw.close()

    def fault_reason(self, exc: BaseException) -> str:
        """What a refused write's exception names of its cause without quoting data: the
        SQLSTATE (PostgreSQL) or SQLite result code name, and the error class."""
        code = getattr(exc, "sqlstate", None) or getattr(exc, "sqlite_errorname", None)
        return f"{type(exc).__name__} {code}" if code else type(exc).__name__


class _WalCheckpointer:
    """Copies committed WAL pages into the database file from a thread of its own.

    A commit that checkpoints itself (SQLite's default, every 1,000 pages) makes the writer
    copy every page a second time and sync the database file before it can answer. Here the
    writer only wakes this thread: its PASSIVE checkpoint, on its own connection, runs with
    the GIL released beside the writer's next transaction, and never blocks readers or
    writers. The writer's own automatic checkpoint stays, at a larger size, as the bound on
    the WAL should this thread fall behind. The thread ends after a quiet spell and is
    started again by the next commit.
    """

    _QUIET_SECONDS = 2.0

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def wake(self) -> None:
        self._wanted.set()
        with self._lock:
            if self._stopped or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(
                target=self._run, name="otel-replay-checkpoint", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            thread = self._thread
        self._wanted.set()
        if thread is not None:
            thread.join(timeout=30)

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return
        try:
            while self._wanted.wait(self._QUIET_SECONDS) and not self._stopped:
                self._wanted.clear()
                with suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()
            with self._lock:
                self._thread = None
                # A commit that woke us as the quiet spell ended starts the next thread.
                again = self._wanted.is_set() and not self._stopped
            if again:
                self.wake()


def _create_private(path: str) -> None:
    """Create the store file readable and writable by its owner only (SQLite gives its WAL and
    shared-memory files the database file's permissions)."""
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


# Measured with bench/ingest.py (spans of ~1.5 KB): 16 KiB pages (new files only; a file
# keeps the page size it was created with) and a 32 MiB page cache cut the writer's cost per
# span by about a third against SQLite's 4 KiB and 2 MiB. The writer checkpoints by itself
# only past 64 MiB of WAL; the checkpoint thread normally keeps it well below.
_PAGE_BYTES = 16384
_CACHE_KIB = 32 * 1024
_WAL_AUTOCHECKPOINT_PAGES = 4096


def _connect_sqlite(path: str, busy_seconds: float) -> sqlite3.Connection:
    if path != ":memory:":
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise BadInputError(
                f"cannot open SQLite store {path!r}: folder {parent} does not exist"
            )
    try:
        _create_private(path)
        # A second writer (another process on the same file) waits this long for the lock,
        # then the write is answered as unavailable (retryable) rather than stalling senders.
        raw = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=busy_seconds
        )
        raw.execute(f"PRAGMA page_size={_PAGE_BYTES}")
        raw.execute("PRAGMA journal_mode=WAL")
        # An OK to a sender means committed: FULL syncs the WAL on every commit.
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        raw.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT_PAGES}")
    except (sqlite3.DatabaseError, OSError) as exc:
        raise BadInputError(f"cannot open SQLite store {path!r}: {exc}") from exc
    return raw


def _connect_postgresql(url: str, timeouts: StoreTimeouts) -> Any:
    import psycopg

    try:
        raw = psycopg.connect(
            url, autocommit=False, connect_timeout=10, application_name="otel-replay"
        )
        raw.execute("SET synchronous_commit = on")
        # A lock held elsewhere or a statement that never ends becomes an error (and so a
        # retryable answer) within seconds instead of stalling every sender.
        raw.execute(f"SET lock_timeout = {int(timeouts.lock_seconds * 1000)}")
        raw.commit()
    except psycopg.Error as exc:
        raise StoreUnavailableError(
            f"cannot connect to PostgreSQL at {_redact_password(url)}: {exc}"
        ) from exc
    return raw
