from __future__ import annotations

import pytest

from otel_replay.app.conversations import load_conversation
from otel_replay.app.sessions import list_sessions
from otel_replay.core.errors import BadInputError, NotFoundError
from otel_replay.session.grouping import (
    GroupBy,
    GroupingPolicy,
    group_keyless_traces,
    parse_group_by,
)
from otel_replay.store import SqlSpanStore, TraceSummary
from tests.builders import SECOND, batch_of, make_span

MINUTE = 60 * SECOND
GAP = GroupingPolicy(GroupBy.SERVICE_USER_GAP, 10 * MINUTE)


def _trace(n: int, start: int, service: str = "svc", user: str | None = "u1") -> TraceSummary:
    return TraceSummary(
        f"{n:032x}", f"{n:032x}", False, 1, start, start + SECOND, None, None, service, user
    )


def test_by_default_each_keyless_trace_is_its_own_session() -> None:
    groups = group_keyless_traces([_trace(1, 0), _trace(2, MINUTE)], GroupingPolicy())
    assert list(groups) == [f"{1:032x}", f"{2:032x}"]


def test_service_user_gap_groups_close_traces_and_splits_after_the_idle_gap() -> None:
    traces = [
        _trace(3, 2 * MINUTE),
        _trace(1, 0),
        _trace(2, MINUTE),
        _trace(4, 30 * MINUTE),  # idle for longer than the gap: a new session
        _trace(5, MINUTE, user="u2"),  # another user: another session
        _trace(6, MINUTE, service="other"),
    ]
    groups = group_keyless_traces(traces, GAP)
    assert {k: [t.trace_id[-1] for t in v] for k, v in groups.items()} == {
        f"group:{1:032x}": ["1", "2", "3"],
        f"group:{5:032x}": ["5"],
        f"group:{6:032x}": ["6"],
        f"group:{4:032x}": ["4"],
    }


def test_unknown_group_by_lists_the_valid_ones() -> None:
    with pytest.raises(BadInputError, match="trace, service-user-gap"):
        parse_group_by("user")


def test_grouped_sessions_list_and_load_from_the_store(store: SqlSpanStore) -> None:
    keyless = [
        make_span(i, 1, name="chat", start=i * MINUTE, attributes={"user.id": "u1"})
        for i in (1, 2, 3)
    ]
    keyed = make_span(9, 1, attributes={"session.id": "keyed"})
    store.write([batch_of(*keyless, keyed)], [])
    assert len(list_sessions(store)) == 4
    grouped = list_sessions(store, policy=GAP)
    assert sorted((s.session_id, s.trace_count) for s in grouped) == [
        (f"group:{1:032x}", 3),
        ("keyed", 1),
    ]
    conversation = load_conversation(store, f"group:{1:032x}", GAP)
    assert len(conversation.trace_ids) == 3
    with pytest.raises(NotFoundError, match="--group-by"):
        load_conversation(store, f"group:{1:032x}")
