"""Browsing and housekeeping on SQLite and PostgreSQL: search, filters, delete, prune, export."""

from __future__ import annotations

import json

import pytest

from otel_replay.app.browse import index_trace_facts, list_session_page
from otel_replay.app.housekeeping import (
    delete_run,
    delete_session,
    export_session_otlp_json,
    parse_age,
    prune_before,
)
from otel_replay.core.errors import BadInputError, NotFoundError
from otel_replay.core.runs import ReplayRun, RunStatus
from otel_replay.importer import import_data
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.store.base import RunRecord
from otel_replay.store.search import SessionFilter

SESSIONS = ("support-session-001", "support-session-002", "support-session-003")


@pytest.fixture
def copied(support_store_url: str, store: SqlSpanStore) -> SqlSpanStore:
    """The support agent's sessions, exported as OTLP/JSON and imported into `store`."""
    source = open_store(support_store_url)
    try:
        exports = [(s, export_session_otlp_json(source, s)) for s in SESSIONS]
    finally:
        source.close()
    import_data(store, exports)
    return store


def _ids(store: SqlSpanStore, session_filter: SessionFilter) -> list[str]:
    return [row.session_id for row in list_session_page(store, session_filter).rows]


def test_export_then_import_keeps_every_session_and_span(
    copied: SqlSpanStore, support_store_url: str
) -> None:
    source = open_store(support_store_url)
    try:
        # (Other tests add their replays to the shared source store: only ours are compared.)
        expected = {
            s.session_id: s.span_count for s in source.list_sessions() if s.session_id in SESSIONS
        }
    finally:
        source.close()
    assert len(expected) == len(SESSIONS)
    assert {s.session_id: s.span_count for s in copied.list_sessions()} == expected
    document = json.loads(export_session_otlp_json(copied, SESSIONS[0]))
    assert len(document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]) == 32


def test_search_finds_a_session_by_a_phrase_of_its_third_turn_in_any_case(
    copied: SqlSpanStore,
) -> None:
    assert _ids(copied, SessionFilter(text="STATUS of order 123")) == [SESSIONS[2]]
    assert _ids(copied, SessionFilter(text="session-001")) == [SESSIONS[0]]
    assert _ids(copied, SessionFilter(text="100%_")) == []


def test_filters_by_service_tools_errors_and_time(copied: SqlSpanStore) -> None:
    assert sorted(_ids(copied, SessionFilter(service="support-agent", has_tools=True))) == list(
        SESSIONS
    )
    assert _ids(copied, SessionFilter(service="another-service")) == []
    assert _ids(copied, SessionFilter(has_errors=True)) == []
    assert _ids(copied, SessionFilter(since_unix_nano=2**62)) == []
    assert len(_ids(copied, SessionFilter(until_unix_nano=2**62))) == 3
    page = list_session_page(copied, SessionFilter(), page=2, per_page=2)
    assert len(page.rows) == 1 and not page.has_next


def test_facts_are_computed_once_per_trace_until_its_spans_change(copied: SqlSpanStore) -> None:
    assert index_trace_facts(copied) == copied.counts().traces
    assert index_trace_facts(copied) == 0


def test_delete_session_removes_its_traces_spans_and_facts(copied: SqlSpanStore) -> None:
    index_trace_facts(copied)
    before = copied.counts()
    deleted = delete_session(copied, SESSIONS[2])
    after = copied.counts()
    assert deleted == 5 and after.traces == before.traces - 5 and after.sessions == 2
    assert _ids(copied, SessionFilter(text="status of order 123")) == []
    with pytest.raises(NotFoundError):
        delete_session(copied, SESSIONS[2])
    assert copied.integrity_problems() == []


def test_prune_deletes_sessions_that_ended_before_the_cutoff(copied: SqlSpanStore) -> None:
    assert prune_before(copied, 0).sessions == 0
    assert prune_before(copied, 2**62).sessions == 3
    assert copied.counts().spans == 0


def test_ages_are_read_in_minutes_hours_days_and_weeks() -> None:
    assert parse_age("30d") == 30 * 86400 and parse_age("2w") == 14 * 86400
    with pytest.raises(BadInputError, match="30d"):
        parse_age("soon")


def test_delete_run_removes_the_run_and_the_session_its_replay_recorded(
    copied: SqlSpanStore,
) -> None:
    # A run record standing for a replay whose session is support-session-002.
    run = ReplayRun(
        run_id="run-to-delete",
        scenario="support-session-001",
        agent="my_app:agent",
        original_session_id=SESSIONS[0],
        session_id=SESSIONS[1],
        status=RunStatus.OK,
        started_unix_nano=1,
        ended_unix_nano=2,
        trace_ids=[],
        turns=[],
    )
    copied.save_run(
        RunRecord(
            run_id=run.run_id,
            scenario_name=run.scenario,
            original_session_id=run.original_session_id,
            session_id=run.session_id,
            agent=run.agent,
            status=run.status,
            started_unix_nano=1,
            ended_unix_nano=2,
            trace_ids=(),
            result_json=run.model_dump_json(),
        )
    )
    delete_run(copied, run.run_id)
    assert copied.get_run(run.run_id) is None
    assert {s.session_id for s in copied.list_sessions()} == {SESSIONS[0], SESSIONS[2]}
    with pytest.raises(NotFoundError):
        delete_run(copied, run.run_id)
