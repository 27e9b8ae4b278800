"""Stored sessions and traces rebuilt as conversations, and made into scenarios."""

from __future__ import annotations

from otel_replay.app.sessions import session_trace_ids
from otel_replay.core.errors import NotFoundError
from otel_replay.scenario.emit import emit_scenario, emit_trace_scenarios
from otel_replay.scenario.model import Scenario
from otel_replay.semconv.model import Conversation
from otel_replay.session.grouping import GROUP_PREFIX, GroupingPolicy
from otel_replay.session.turns import build_conversation
from otel_replay.store.base import SpanStore


def load_conversation(
    store: SpanStore, session_id: str, policy: GroupingPolicy | None = None
) -> Conversation:
    """Rebuild a stored session as a conversation; NotFoundError when it has no traces."""
    trace_ids = session_trace_ids(store, session_id, policy)
    if not trace_ids:
        hint = ""
        if session_id.startswith(GROUP_PREFIX):
            hint = " (a grouped session needs the --group-by it was listed with)"
        raise NotFoundError(f"no session {session_id!r} in the store{hint}")
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


def session_scenario(
    store: SpanStore, session_id: str, policy: GroupingPolicy | None = None
) -> Scenario:
    """A session scenario of a stored session."""
    return emit_scenario(load_conversation(store, session_id, policy))


def trace_scenarios(store: SpanStore, trace_ids: list[str]) -> list[Scenario]:
    """One single-turn scenario per trace (voice traces: per turn of the trace's session)."""
    scenarios: list[Scenario] = []
    for trace_id in trace_ids:
        scenarios.extend(emit_trace_scenarios(load_trace_conversation(store, trace_id)))
    return scenarios


def session_trace_scenarios(
    store: SpanStore, session_id: str, policy: GroupingPolicy | None = None
) -> list[Scenario]:
    """Every trace of a stored session as a scenario of its own."""
    return emit_trace_scenarios(load_conversation(store, session_id, policy))
