"""Sender data PostgreSQL cannot store as given (NUL characters, over-long indexed keys) is stored
normalised, the same way on SQLite and PostgreSQL; re-sent spans change nothing stored."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from otel_replay.core.records import Resource, Scope
from otel_replay.otlp.decode import Encoding, decode_logs_request
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.store.base import RunRecord
from otel_replay.store.normalise import MAX_KEY_BYTES, REPLACEMENT, bound_key, clean_key
from otel_replay.store.rows import build_log_batch
from tests.builders import SECOND, T0, batch_of, make_span

# Random bytes do not compress: PostgreSQL cannot squeeze this id into a 2,704-byte index row.
LONG_SESSION = os.urandom(2000).hex()


def _trace(number: int) -> str:
    return f"{number:032x}"


def test_nul_characters_in_every_text_column_are_stored_as_replacement_characters(
    store: SqlSpanStore,
) -> None:
    root = make_span(
        1,
        1,
        name="agent\x00run",
        service="svc\x00a",
        attributes={"session.id": "s\x001", "user.id": "u\x001"},
    )
    store.write([batch_of(root)])
    trace = store.get_trace(_trace(1))
    assert trace is not None
    assert trace.session_id == f"s{REPLACEMENT}1"
    assert trace.root_name == f"agent{REPLACEMENT}run"
    assert trace.service_name == f"svc{REPLACEMENT}a"
    assert trace.user_id == f"u{REPLACEMENT}1"
    assert [s.session_id for s in store.list_sessions()] == [f"s{REPLACEMENT}1"]
    # The exact values stay in the stored span message.
    (span,) = store.get_spans([_trace(1)])
    assert span.name == "agent\x00run"
    assert span.attributes["session.id"] == "s\x001"
    assert span.resource.attributes["service.name"] == "svc\x00a"


@pytest.mark.parametrize("url", ["https://a\x00b/1.0", "\ufffe", '\ufffe"x"', ""])
def test_schema_urls_read_back_exactly_even_with_nul_characters(
    store: SqlSpanStore, url: str
) -> None:
    span = dataclasses.replace(
        make_span(1, 1),
        resource=Resource(attributes={"service.name": "svc"}, schema_url=url),
        scope=Scope(name="tests", schema_url=url + "/scope"),
    )
    store.write([batch_of(span)])
    assert store.get_spans([_trace(1)]) == [span]


def test_log_records_with_nul_characters_are_stored_and_read_back_exactly(
    store: SqlSpanStore,
) -> None:
    body = (
        b'{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":'
        b'{"stringValue":"s\\u0000"}}]},"schemaUrl":"u\\u0000","scopeLogs":[{"logRecords":'
        b'[{"timeUnixNano":"5","traceId":"' + b"0" * 31 + b'1","eventName":"gen_ai\\u0000x",'
        b'"body":{"stringValue":"a\\u0000b"}}]}]}]}'
    )
    store.write([], [build_log_batch(decode_logs_request(body, Encoding.JSON))])
    (record,) = store.get_log_records([_trace(1)])
    assert (record.event_name, record.body) == ("gen_ai\x00x", "a\x00b")
    assert record.resource.schema_url == "u\x00"
    assert record.resource.attributes["service.name"] == "s\x00"


def test_an_id_with_a_nul_stays_apart_from_the_same_id_without_it(store: SqlSpanStore) -> None:
    store.write([batch_of(make_span(1, 1, attributes={"session.id": "ab"}))])
    store.write([batch_of(make_span(2, 1, attributes={"session.id": "a\x00b"}))])
    assert sorted(s.session_id for s in store.list_sessions()) == ["ab", f"a{REPLACEMENT}b"]


def test_replay_run_text_with_nul_characters_is_saved_and_read_back_normalised(
    store: SqlSpanStore,
) -> None:
    run = RunRecord(
        run_id="run-1",
        scenario_name="refund\x00case",
        original_session_id="s\x001",
        session_id="replay-1",
        agent="agent\x00",
        status="passed",
        started_unix_nano=T0,
        ended_unix_nano=T0 + SECOND,
        trace_ids=("t\x001",),
        result_json='{"note": "a\x00b"}',
    )
    store.save_run(run)
    saved = store.get_run("run-1")
    assert saved is not None
    assert (saved.scenario_name, saved.agent) == (f"refund{REPLACEMENT}case", f"agent{REPLACEMENT}")
    assert saved.trace_ids == ("t\x001",)  # JSON escapes it: nothing to replace
    assert saved.result_json == f'{{"note": "a{REPLACEMENT}b"}}'


def test_over_long_session_id_is_stored_bounded_and_still_finds_its_traces(
    store: SqlSpanStore,
) -> None:
    other = LONG_SESSION[:-1] + ("0" if LONG_SESSION[-1] != "0" else "1")
    store.write([batch_of(make_span(1, 1, attributes={"session.id": LONG_SESSION}))])
    store.write([batch_of(make_span(2, 1, attributes={"session.id": LONG_SESSION}))])
    store.write([batch_of(make_span(3, 1, attributes={"session.id": other}))])
    sessions = {s.session_id: s for s in store.list_sessions()}
    stored = bound_key(LONG_SESSION)
    assert set(sessions) == {stored, bound_key(other)}  # same prefix, told apart by the digest
    assert len(stored.encode()) <= MAX_KEY_BYTES
    assert stored.startswith(LONG_SESSION[:900])
    assert sessions[stored].trace_count == 2
    assert [t.trace_id for t in store.list_traces(session_id=stored)] == [_trace(1), _trace(2)]
    (span,) = store.get_spans([_trace(3)])
    assert span.attributes["session.id"] == other


def test_bounding_keeps_short_ids_and_cuts_long_ones_at_a_character_boundary() -> None:
    assert clean_key("short") == "short"
    wide = "\u00e9" * 2000  # two bytes each
    bounded = bound_key(wide)
    assert len(bounded.encode()) <= MAX_KEY_BYTES
    assert bounded.startswith("\u00e9" * 400)
    assert bound_key(bounded) == bounded  # stable when stored again
    assert clean_key("a\x00" * 2000) == bound_key(f"a{REPLACEMENT}" * 2000)


def test_resending_known_spans_with_other_content_changes_no_summary(
    store: SqlSpanStore,
) -> None:
    root = make_span(1, 1, name="agent", attributes={"session.id": "s-1"})
    child = make_span(1, 2, 1, name="chat", start=SECOND)
    store.write([batch_of(root, child)])
    before = store.get_trace(_trace(1))
    spans_before = store.get_spans([_trace(1)])

    forged_root = make_span(
        1, 1, name="forged", start=-SECOND, duration=10**18, attributes={"session.id": "s-0"}
    )
    forged_child = make_span(1, 2, name="forged-root", attributes={"gen_ai.conversation.id": "x"})
    store.write([batch_of(forged_root, forged_child)])
    assert store.get_trace(_trace(1)) == before
    assert store.get_spans([_trace(1)]) == spans_before
    assert [s.session_id for s in store.list_sessions()] == ["s-1"]


def test_a_new_span_beside_re_sent_ones_adds_only_its_own_times(store: SqlSpanStore) -> None:
    root = make_span(1, 1, name="agent", duration=2 * SECOND, attributes={"session.id": "s-1"})
    store.write([batch_of(root)])
    forged_root = make_span(1, 1, name="agent", duration=10**18, attributes={"session.id": "s-0"})
    late = make_span(1, 3, 1, name="tool", start=SECOND, duration=3 * SECOND)
    store.write([batch_of(forged_root, late)])
    trace = store.get_trace(_trace(1))
    assert trace is not None
    assert (trace.session_id, trace.span_count) == ("s-1", 2)
    assert (trace.start_time_unix_nano, trace.end_time_unix_nano) == (T0, T0 + 4 * SECOND)


def test_a_span_given_twice_in_one_write_is_stored_and_summarised_as_first_given(
    store: SqlSpanStore,
) -> None:
    first = make_span(1, 1, name="agent", attributes={"session.id": "s-1"})
    again = make_span(1, 1, name="other", duration=50 * SECOND, attributes={"session.id": "s-0"})
    store.write([batch_of(first), batch_of(again)])
    trace = store.get_trace(_trace(1))
    assert trace is not None
    assert (trace.root_name, trace.session_id, trace.span_count) == ("agent", "s-1", 1)
    assert trace.end_time_unix_nano == T0 + SECOND


def test_sqlite_store_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    opened = open_store(f"sqlite:///{path}")
    try:
        opened.write([batch_of(make_span(1, 1))])
        created = [path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm"))]
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in created if p.exists()}
        assert path.name in modes and f"{path.name}-wal" in modes
        assert set(modes.values()) == {0o600}
    finally:
        opened.close()


def test_an_existing_store_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    open_store(f"sqlite:///{path}").close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("name", ["turn", "other"])
def test_resent_turn_spans_are_counted_once(store: SqlSpanStore, name: str) -> None:
    spans = [make_span(1, 1, name="session"), make_span(1, 2, 1, name=name)]
    store.write([batch_of(*spans)])
    store.write([batch_of(*spans)])
    trace = store.get_trace(_trace(1))
    assert trace is not None
    assert (trace.span_count, trace.turn_count) == (2, 1)
