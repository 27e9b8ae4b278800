"""The library surface the CLI is a shell over: read sessions from a store, make scenarios."""

from __future__ import annotations

from otel_replay.core.errors import NotFoundError
from otel_replay.scenario.emit import emit_scenario, emit_trace_scenarios
from otel_replay.scenario.model import Scenario
from otel_replay.semconv.model import Conversation
from otel_replay.session.grouping import (
    GROUP_PREFIX,
    GroupBy,
    GroupingPolicy,
    group_keyless_traces,
)
from otel_replay.session.turns import build_conversation
from otel_replay.store.base import SessionSummary, SpanStore, TraceSummary

MAX_SESSION_TRACES = 100_000


def _summarise_group(session_id: str, traces: list[TraceSummary]) -> SessionSummary:
    return SessionSummary(
        session_id=session_id,
        trace_count=len(traces),
        span_count=sum(t.span_count for t in traces),
        first_start_unix_nano=min(t.start_time_unix_nano for t in traces),
        last_end_unix_nano=max(t.end_time_unix_nano for t in traces),
        service_name=traces[0].service_name,
        turn_count=sum(t.turn_count for t in traces),
    )


def _grouping(policy: GroupingPolicy | None) -> bool:
    return policy is not None and policy.group_by is not GroupBy.TRACE


def list_sessions(
    store: SpanStore, limit: int = 100, policy: GroupingPolicy | None = None
) -> list[SessionSummary]:
    """Sessions, most recent first; keyless traces grouped by the policy (default: one each)."""
    if policy is None or not _grouping(policy):
        return store.list_sessions(limit)
    keyed = store.list_sessions(limit, keyed_only=True)
    keyless = store.list_traces(MAX_SESSION_TRACES, keyless_only=True)
    grouped = [
        _summarise_group(sid, ts) for sid, ts in group_keyless_traces(keyless, policy).items()
    ]
    merged = sorted(keyed + grouped, key=lambda s: (-s.last_end_unix_nano, s.session_id))
    return merged[:limit]


def _session_trace_ids(
    store: SpanStore, session_id: str, policy: GroupingPolicy | None
) -> list[str]:
    if policy is not None and _grouping(policy) and session_id.startswith(GROUP_PREFIX):
        keyless = store.list_traces(MAX_SESSION_TRACES, keyless_only=True)
        return [t.trace_id for t in group_keyless_traces(keyless, policy).get(session_id, [])]
    return [t.trace_id for t in store.list_traces(MAX_SESSION_TRACES, session_id=session_id)]


def load_conversation(
    store: SpanStore, session_id: str, policy: GroupingPolicy | None = None
) -> Conversation:
    """Rebuild a stored session as a conversation; NotFoundError when it has no traces."""
    trace_ids = _session_trace_ids(store, session_id, policy)
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
