from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from otel_replay.core.records import SpanLink
from otel_replay.otlp.decode import Encoding, decode_logs_request
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.store.rows import build_log_batch
from tests.builders import SECOND, T0, batch_of, make_span


def test_resent_spans_are_stored_once(store: SqlSpanStore) -> None:
    spans = [make_span(1, 1), make_span(1, 2, 1)]
    store.write([batch_of(*spans)], [])
    store.write([batch_of(*spans)], [])
    assert store.counts().spans == 2
    summary = store.get_trace(f"{1:032x}")
    assert summary is not None
    assert summary.span_count == 2


def test_child_without_session_key_joins_its_trace_session_when_root_arrives_last(
    store: SqlSpanStore,
) -> None:
    child = make_span(7, 2, 1, start=SECOND, name="chat")
    root = make_span(7, 1, name="agent", attributes={"session.id": "s-42"})
    store.write([batch_of(child)], [])
    assert store.list_traces()[0].session_id == f"{7:032x}"
    store.write([batch_of(root)], [])
    (trace,) = store.list_traces()
    assert trace.session_id == "s-42"
    assert trace.session_from_key
    assert trace.root_span_id == f"{1:016x}"
    assert trace.start_time_unix_nano == T0


def test_higher_priority_key_wins_over_lower_one_in_the_same_trace(store: SqlSpanStore) -> None:
    store.write([batch_of(make_span(3, 1, attributes={"conversation.id": "low"}))], [])
    store.write([batch_of(make_span(3, 2, 1, attributes={"gen_ai.conversation.id": "high"}))], [])
    assert store.list_traces()[0].session_id == "high"


def test_trace_without_any_session_key_is_its_own_session(store: SqlSpanStore) -> None:
    store.write([batch_of(make_span(5, 1))], [])
    (session,) = store.list_sessions()
    assert session.session_id == f"{5:032x}"
    assert (session.trace_count, session.span_count) == (1, 1)


def test_traces_of_a_session_are_ordered_by_root_start(store: SqlSpanStore) -> None:
    later = make_span(2, 1, start=60 * SECOND, attributes={"session.id": "s"})
    earlier = make_span(9, 1, start=0, attributes={"session.id": "s"})
    store.write([batch_of(later, earlier)], [])
    traces = store.list_traces(session_id="s")
    assert [t.trace_id for t in traces] == [f"{9:032x}", f"{2:032x}"]
    (session,) = store.list_sessions()
    assert (session.trace_count, session.first_start_unix_nano) == (2, T0)


def test_spans_come_back_with_links_events_resource_and_nested_attributes(
    store: SqlSpanStore,
) -> None:
    span = make_span(
        4,
        1,
        attributes={"nested": {"a": [1, 2.5, True, b"\x00", {"b": None}]}, "big": 2**63 - 1},
    )
    span = type(span)(
        **{
            **span.__dict__,
            "links": (SpanLink(trace_id="ab" * 16, span_id="cd" * 8, attributes={"k": "v"}),),
            "dropped_links_count": 3,
        }
    )
    store.write([batch_of(span)], [])
    (stored,) = store.get_spans([span.trace_id])
    assert stored == span


def test_log_records_are_joined_by_trace_id_and_stored_once(store: SqlSpanStore) -> None:
    body = (
        b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"5",'
        b'"traceId":"'
        + b"0" * 31
        + b'1","spanId":"'
        + b"0" * 15
        + b'2","eventName":"gen_ai.user.message",'
        b'"body":{"kvlistValue":{"values":[{"key":"content","value":{"stringValue":"hi"}}]}}}]}]}]}'
    )
    batch = build_log_batch(decode_logs_request(body, Encoding.JSON))
    store.write([], [batch])
    store.write([], [batch])
    (record,) = store.get_log_records([f"{1:032x}"])
    assert record.event_name == "gen_ai.user.message"
    assert record.body == {"content": "hi"}
    assert store.counts().log_records == 1


def test_reopening_applies_no_migration_twice_and_keeps_data(store_url: str) -> None:
    first = open_store(store_url)
    first.write([batch_of(make_span(1, 1))], [])
    first.close()
    second = open_store(store_url)
    assert second.counts().spans == 1
    assert second.integrity_problems() == []
    second.close()


def test_replay_runs_are_saved_updated_and_listed_newest_first(store: SqlSpanStore) -> None:
    from otel_replay.store import RunRecord

    first = RunRecord("r1", "s", "orig", "new-1", "m:a", "running", 10, 10, (), "{}")
    second = RunRecord("r2", "s", "orig", "new-2", "m:a", "ok", 20, 25, ("ab" * 16,), '{"x": 1}')
    store.save_run(first)
    store.save_run(second)
    store.save_run(RunRecord("r1", "s", "orig", "new-1", "m:a", "ok", 10, 15, ("cd" * 16,), "{}"))
    assert [r.run_id for r in store.list_runs()] == ["r2", "r1"]
    updated = store.get_run("r1")
    assert updated is not None
    assert (updated.status, updated.ended_unix_nano, updated.trace_ids) == ("ok", 15, ("cd" * 16,))
    assert store.get_run("nope") is None


def test_voice_turn_spans_count_as_turns_and_the_user_id_is_kept(store: SqlSpanStore) -> None:
    root = make_span(8, 1, name="agent_session", attributes={"session.id": "voice"})
    turns = [make_span(8, 10 + i, 1, name="user_turn", start=i * SECOND) for i in range(3)]
    chat = make_span(6, 1, attributes={"session.id": "voice", "user.id": "user-42"})
    store.write([batch_of(root, *turns), batch_of(chat)], [])
    (session,) = store.list_sessions()
    assert (session.session_id, session.turn_count, session.trace_count) == ("voice", 4, 2)
    by_id = {t.trace_id: t for t in store.list_traces()}
    assert by_id[f"{8:032x}"].turn_count == 3
    assert by_id[f"{6:032x}"].user_id == "user-42"


def test_postgresql_store_reconnects_after_the_server_drops_its_connection(
    postgres_url: str,
) -> None:
    import psycopg

    from otel_replay.core.errors import StoreUnavailableError

    store = open_store(postgres_url)
    try:
        store.write([batch_of(make_span(1, 1))], [])
        database = postgres_url.rpartition("/")[2]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
        failures = 0
        for _attempt in range(3):  # a sender retries UNAVAILABLE; the store must recover
            try:
                store.write([batch_of(make_span(2, 1))], [])
                break
            except StoreUnavailableError:
                failures += 1
        assert failures <= 1
        assert store.counts().spans == 2
    finally:
        store.close()


def test_all_zero_parent_id_is_stored_and_read_back_as_absent(store: SqlSpanStore) -> None:
    # Some SDKs send a root's parent as eight zero bytes instead of leaving it empty.
    root = make_span(11, 1, name="agent")
    zero_parent = type(root)(**{**root.__dict__, "parent_span_id": "0" * 16})
    store.write([batch_of(zero_parent)], [])
    (stored,) = store.get_spans([root.trace_id])
    assert stored.parent_span_id == ""
    assert stored == root
    trace = store.get_trace(root.trace_id)
    assert trace is not None
    assert (trace.root_span_id, trace.root_name) == (root.span_id, "agent")


def test_log_record_with_all_zero_ids_reads_back_with_empty_ids(store: SqlSpanStore) -> None:
    body = (
        b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"5",'
        b'"traceId":"' + b"0" * 32 + b'","spanId":"' + b"0" * 16 + b'",'
        b'"body":{"stringValue":"boot"}}]}]}]}'
    )
    store.write([], [build_log_batch(decode_logs_request(body, Encoding.JSON))])
    (record,) = store.get_log_records([""])
    assert (record.trace_id, record.span_id, record.body) == ("", "", "boot")


def test_a_version_3_store_is_migrated_without_losing_its_users_or_log_records(
    store_url: str,
) -> None:
    from otel_replay.store.dialect import Connection, parse_store_url
    from otel_replay.store.migrations import MIGRATIONS

    conn = Connection(parse_store_url(store_url))
    p = conn.dialect.placeholder
    conn.begin()
    conn.execute(conn.dialect.ddl("CREATE TABLE otel_replay_schema (version {int} PRIMARY KEY)"))
    for version, steps in enumerate(MIGRATIONS[:3], start=1):
        for step in steps:
            conn.execute(conn.dialect.ddl(step))
        conn.execute(f"INSERT INTO otel_replay_schema (version) VALUES ({p})", (version,))
    conn.execute(
        "INSERT INTO traces (trace_id, session_id, session_rank, span_count, "
        "min_start_unix_nano, max_end_unix_nano, service_name, user_id) "
        f"VALUES ({conn.dialect.params(8)})",
        (f"{1:032x}", "s", 1, 0, T0, T0, "svc", "old-user"),
    )
    conn.commit()
    conn.close()
    store = open_store(store_url)
    try:
        # Version 3 kept the first user id seen; it is kept, not replaced by a later key.
        store.write([batch_of(make_span(1, 1, attributes={"user.id": "new-user"}))], [])
        trace = store.get_trace(f"{1:032x}")
        assert trace is not None
        assert trace.user_id == "old-user"
        assert store.integrity_problems() == []
    finally:
        store.close()


def test_spans_and_logs_of_many_traces_load_in_one_query_per_batch_of_traces(
    store: SqlSpanStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from otel_replay.store.dialect import Connection
    from otel_replay.store.statements import ID_BATCH

    trace_count = ID_BATCH + 1
    spans = [make_span(n, 1, start=n) for n in range(1, trace_count + 1)]
    store.write([batch_of(*spans)], [])
    queries: list[str] = []
    execute = Connection.execute

    def counting(self: Connection, statement: str, params: Sequence[Any] = ()) -> Any:
        queries.append(statement)
        return execute(self, statement, params)

    monkeypatch.setattr(Connection, "execute", counting)
    wanted = [s.trace_id for s in reversed(spans)]
    loaded = store.get_spans(wanted)
    assert [s.trace_id for s in loaded] == wanted  # in the order asked for
    assert len(queries) == 2
    assert store.get_log_records(wanted) == []
    assert len(queries) == 4
