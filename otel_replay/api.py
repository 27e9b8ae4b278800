"""The library surface the CLI is a shell over: read sessions from a store, make scenarios."""

from __future__ import annotations

from otel_replay.errors import NotFoundError
from otel_replay.scenario.emit import emit_scenario, emit_trace_scenarios
from otel_replay.scenario.model import Scenario
from otel_replay.semconv.model import Conversation
from otel_replay.session.turns import build_conversation
from otel_replay.store.base import SpanStore

MAX_SESSION_TRACES = 100_000


def load_conversation(store: SpanStore, session_id: str) -> Conversation:
    """Rebuild a stored session as a conversation; NotFoundError when it has no traces."""
    traces = store.list_traces(MAX_SESSION_TRACES, session_id=session_id)
    if not traces:
        raise NotFoundError(f"no session {session_id!r} in the store")
    trace_ids = [t.trace_id for t in traces]
    return build_conversation(
        session_id, store.get_spans(trace_ids), store.get_log_records(trace_ids)
    )


def load_trace_conversation(store: SpanStore, trace_id: str) -> Conversation:
    """One trace as a conversation of its own (its turns only)."""
    summary = store.get_trace(trace_id)
    if summary is None:
        raise NotFoundError(f"no trace {trace_id!r} in the store")
    return build_conversation(
        summary.session_id, store.get_spans([trace_id]), store.get_log_records([trace_id])
    )


def session_scenario(store: SpanStore, session_id: str) -> Scenario:
    return emit_scenario(load_conversation(store, session_id))


def trace_scenarios(store: SpanStore, trace_ids: list[str]) -> list[Scenario]:
    scenarios: list[Scenario] = []
    for trace_id in trace_ids:
        scenarios.extend(emit_trace_scenarios(load_trace_conversation(store, trace_id)))
    return scenarios


def session_trace_scenarios(store: SpanStore, session_id: str) -> list[Scenario]:
    return emit_trace_scenarios(load_conversation(store, session_id))
