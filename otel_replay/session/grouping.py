"""Pure: grouping traces that carry no session key into sessions (`--group-by`).

By default such a trace is a one-turn session of its own (zero-code auto-instrumentation
makes one trace per LLM call). `service-user-gap` groups them by service name and user id,
starting a new session whenever the user was idle longer than the gap. Within a session, an
agent loop's model calls traced one per trace are joined into one user turn by the turn
builder (session/turns.py, docs/semconv.md section 10.5), not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from otel_replay.core.errors import BadInputError
from otel_replay.store.base import TraceSummary

GROUP_PREFIX = "group:"
DEFAULT_IDLE_GAP_UNIX_NANO = 30 * 60 * 1_000_000_000


class GroupBy(StrEnum):
    TRACE = "trace"  # each keyless trace is its own session
    SERVICE_USER_GAP = "service-user-gap"


@dataclass(frozen=True)
class GroupingPolicy:
    group_by: GroupBy = GroupBy.TRACE
    idle_gap_unix_nano: int = DEFAULT_IDLE_GAP_UNIX_NANO


def parse_group_by(text: str) -> GroupBy:
    try:
        return GroupBy(text)
    except ValueError:
        valid = ", ".join(g.value for g in GroupBy)
        raise BadInputError(f"unknown --group-by {text!r}: use one of {valid}") from None


def group_keyless_traces(
    traces: Sequence[TraceSummary], policy: GroupingPolicy
) -> dict[str, list[TraceSummary]]:
    """Session id -> its traces in start order; ids are `group:` + the first trace's id."""
    ordered = sorted(traces, key=lambda t: (t.start_time_unix_nano, t.trace_id))
    if policy.group_by is GroupBy.TRACE:
        return {t.trace_id: [t] for t in ordered}
    groups: dict[str, list[TraceSummary]] = {}
    open_group: dict[tuple[str, str], tuple[str, int]] = {}
    for trace in ordered:
        key = (trace.service_name, trace.user_id or "")
        current = open_group.get(key)
        if current is None or trace.start_time_unix_nano - current[1] > policy.idle_gap_unix_nano:
            group_id = f"{GROUP_PREFIX}{trace.trace_id}"
            groups[group_id] = []
        else:
            group_id = current[0]
        groups[group_id].append(trace)
        open_group[key] = (group_id, max(trace.end_time_unix_nano, current[1] if current else 0))
    return groups
