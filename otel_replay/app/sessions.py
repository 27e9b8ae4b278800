"""Sessions in a store: listed (keyless traces grouped by a policy) and resolved to traces.

Kept light (no conversation model, graph or scenario imports): `otel-replay sessions` starts
here. Rebuilding a session is `app.conversations`."""

from __future__ import annotations

from otel_replay.session.grouping import (
    GROUP_PREFIX,
    GroupBy,
    GroupingPolicy,
    group_keyless_traces,
)
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
        # A trace that continues the turn of the one before adds none (store/rows.py).
        turn_count=sum(0 if i and t.continues_turn else t.turn_count for i, t in enumerate(traces)),
    )


def is_grouping(policy: GroupingPolicy | None) -> bool:
    return policy is not None and policy.group_by is not GroupBy.TRACE


def list_sessions(
    store: SpanStore, limit: int = 100, policy: GroupingPolicy | None = None
) -> list[SessionSummary]:
    """Sessions, most recent first; keyless traces grouped by the policy (default: one each)."""
    if policy is None or not is_grouping(policy):
        return store.list_sessions(limit)
    keyed = store.list_sessions(limit, keyed_only=True)
    keyless = store.list_traces(MAX_SESSION_TRACES, keyless_only=True)
    grouped = [
        _summarise_group(sid, ts) for sid, ts in group_keyless_traces(keyless, policy).items()
    ]
    merged = sorted(keyed + grouped, key=lambda s: (-s.last_end_unix_nano, s.session_id))
    return merged[:limit]


def session_trace_ids(
    store: SpanStore, session_id: str, policy: GroupingPolicy | None
) -> list[str]:
    """The trace ids of a stored session (a grouped one when the policy groups)."""
    if policy is not None and is_grouping(policy) and session_id.startswith(GROUP_PREFIX):
        keyless = store.list_traces(MAX_SESSION_TRACES, keyless_only=True)
        return [t.trace_id for t in group_keyless_traces(keyless, policy).get(session_id, [])]
    return [t.trace_id for t in store.list_traces(MAX_SESSION_TRACES, session_id=session_id)]
