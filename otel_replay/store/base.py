"""What every span store offers: the `SpanStore` protocol and the summaries it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from otel_replay.core.records import LogRecord, Span

if TYPE_CHECKING:  # protobuf is not imported to list sessions (`otel-replay sessions`)
    from otel_replay.store.rows import LogBatch, SpanBatch


@dataclass(frozen=True)
class TraceSummary:
    trace_id: str
    session_id: str
    session_from_key: bool  # False when no span carried a session key: the trace is its own session
    span_count: int
    start_time_unix_nano: int  # the root's start, or the earliest span's while the root is missing
    end_time_unix_nano: int
    root_span_id: str | None
    root_name: str | None
    service_name: str
    user_id: str | None = None
    turn_count: int = 1  # voice and replay traces hold several turns
    # It continues the turn of the trace before it in its session, adding none (store/rows.py).
    continues_turn: bool = False


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    trace_count: int
    span_count: int
    first_start_unix_nano: int
    last_end_unix_nano: int
    service_name: str
    turn_count: int = 0


@dataclass(frozen=True)
class StoreCounts:
    spans: int
    traces: int
    sessions: int
    log_records: int


@dataclass(frozen=True)
class RunRecord:
    """A replay run as stored: its identity, outcome, and result document (JSON text)."""

    run_id: str
    scenario_name: str
    original_session_id: str
    session_id: str
    agent: str
    status: str
    started_unix_nano: int
    ended_unix_nano: int
    trace_ids: tuple[str, ...]
    result_json: str


class BatchWriter(Protocol):
    """What the receiver needs of a store: `write`, committed when it returns."""

    url: str

    def write(
        self,
        span_batches: Sequence[SpanBatch],
        log_batches: Sequence[LogBatch] = (),
        runs: Sequence[RunRecord] = (),
    ) -> None:
        """Commit all batches (and replay runs) in one transaction; re-sent spans and records
        are stored once, a run with a known id is updated."""
        ...


class SpanStore(BatchWriter, Protocol):
    """Durable storage of spans and log records; every write is committed when it returns."""

    def list_sessions(self, limit: int = 100, keyed_only: bool = False) -> list[SessionSummary]:
        """Most recent first; `keyed_only` leaves out traces that carried no session key."""
        ...

    def list_traces(
        self, limit: int = 100, session_id: str | None = None, keyless_only: bool = False
    ) -> list[TraceSummary]:
        """Most recent first; a session's traces in start order; or only keyless traces."""
        ...

    def get_trace(self, trace_id: str) -> TraceSummary | None: ...

    def get_spans(self, trace_ids: Sequence[str]) -> list[Span]: ...

    def get_log_records(self, trace_ids: Sequence[str]) -> list[LogRecord]: ...

    def counts(self) -> StoreCounts: ...

    def save_run(self, run: RunRecord) -> None:
        """Insert or replace a replay run (scores are added by saving it again)."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(self, limit: int = 50) -> list[RunRecord]: ...

    def integrity_problems(self) -> list[str]: ...

    def close(self) -> None: ...
