"""The one place that knows SQLite from PostgreSQL: connecting, placeholders, DDL types."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from otel_replay.core.errors import BadInputError, StoreUnavailableError


class DialectName(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


DEFAULT_STORE_URL = "sqlite:///otel-replay.db"


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


SQLITE = Dialect(DialectName.SQLITE, "?", "INTEGER", "BLOB")
POSTGRESQL = Dialect(DialectName.POSTGRESQL, "%s", "BIGINT", "BYTEA")
DIALECTS: dict[DialectName, Dialect] = {SQLITE.name: SQLITE, POSTGRESQL.name: POSTGRESQL}


class Connection:
    """A DB-API connection; statements come already spelled for its `dialect`."""

    def __init__(self, url: StoreUrl) -> None:
        self.url = url
        self.dialect = DIALECTS[url.dialect]
        self._postgresql = url.dialect is DialectName.POSTGRESQL
        self._raw: Any
        if self._postgresql:
            self._raw = _connect_postgresql(url.target)
        else:
            self._raw = _connect_sqlite(url.target)

    def begin(self) -> None:
        if not self._postgresql:
            # IMMEDIATE takes the write lock now, so a second writer waits (busy_timeout)
            # instead of failing at commit time.
            self._raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._raw.commit() if self._postgresql else self._raw.execute("COMMIT")

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
            self._raw.execute("SELECT pg_advisory_xact_lock(7405022301)")

    def integrity_problems(self) -> list[str]:
        """What the database's own consistency check reports (empty when sound)."""
        if not self._postgresql:
            rows = self.execute("PRAGMA integrity_check")
            return [str(r[0]) for r in rows if r[0] != "ok"]
        return []

    def close(self) -> None:
        self._raw.close()

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        """Exceptions that mean the database is unavailable or busy (retryable)."""
        if not self._postgresql:
            return (sqlite3.OperationalError,)
        import psycopg

        return (psycopg.OperationalError,)


def _connect_sqlite(path: str) -> sqlite3.Connection:
    if path != ":memory:":
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise BadInputError(
                f"cannot open SQLite store {path!r}: folder {parent} does not exist"
            )
    try:
        raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        raw.execute("PRAGMA journal_mode=WAL")
        # An OK to a sender means committed: FULL syncs the WAL on every commit.
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise BadInputError(f"cannot open SQLite store {path!r}: {exc}") from exc
    return raw


def _connect_postgresql(url: str) -> Any:
    import psycopg

    try:
        raw = psycopg.connect(url, autocommit=False, connect_timeout=10)
        raw.execute("SET synchronous_commit = on")
        raw.commit()
    except psycopg.Error as exc:
        raise StoreUnavailableError(
            f"cannot connect to PostgreSQL at {_redact_password(url)}: {exc}"
        ) from exc
    return raw
