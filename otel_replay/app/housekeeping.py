"""Keeping the store: delete sessions and runs, prune by age (retention), export a session as
an OTLP/JSON trace request (what `otel-replay import` reads back)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from otel_replay.app.targets import resolve_run
from otel_replay.core.errors import BadInputError, NotFoundError
from otel_replay.otlp.convert import spans_to_request
from otel_replay.otlp.decode import Encoding, encode_message
from otel_replay.store.search import SearchStore

# Sessions and runs one prune deletes per transaction; a prune goes on until none is left.
PRUNE_BATCH = 500
_MAX_PRUNE_ROUNDS = 100_000
_AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> int:
    """An age such as `30d`, `12h`, `90m` or `2w`, in seconds."""
    found = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text.lower())
    if found is None or int(found[1]) <= 0:
        raise BadInputError(f"age {text!r} is not a positive number of m, h, d or w (e.g. 30d)")
    return int(found[1]) * _AGE_UNITS[found[2]]


def delete_session(store: SearchStore, session_id: str) -> int:
    """Delete a stored session (spans, log records, the runs that recorded it); returns the
    number of traces deleted."""
    deleted = store.delete_sessions([session_id])
    if not deleted:
        raise NotFoundError(f"no session {session_id!r} in the store")
    return deleted


def delete_run(store: SearchStore, run_id: str) -> None:
    """Delete a replay run and the session its replay recorded."""
    run = resolve_run(store, run_id)
    store.delete_runs([run_id])
    store.delete_sessions([run.session_id])


@dataclass(frozen=True)
class PruneResult:
    sessions: int
    runs: int


def prune_before(store: SearchStore, cutoff_unix_nano: int) -> PruneResult:
    """Delete every session whose last span ended before the cutoff, and every run that ended
    before it."""
    sessions = runs = 0
    for _ in range(_MAX_PRUNE_ROUNDS):
        run_ids = store.runs_ended_before(cutoff_unix_nano, PRUNE_BATCH)
        runs += store.delete_runs(run_ids)
        session_ids = store.sessions_ended_before(cutoff_unix_nano, PRUNE_BATCH)
        if session_ids:
            store.delete_sessions(session_ids)
            sessions += len(session_ids)
        if not run_ids and not session_ids:
            break
    return PruneResult(sessions, runs)


def export_session_otlp_json(store: SearchStore, session_id: str) -> bytes:
    """A stored session's spans as one OTLP/JSON ExportTraceServiceRequest (ids as hex)."""
    trace_ids = [t.trace_id for t in store.list_traces(100_000, session_id=session_id)]
    if not trace_ids:
        raise NotFoundError(f"no session {session_id!r} in the store")
    return encode_message(spans_to_request(store.get_spans(trace_ids)), Encoding.JSON)
