"""The session search's full-text index (migration 9: SQLite FTS5 trigrams, PostgreSQL pg_trgm)
on both stores: a phrase of a later turn is found, text full of FTS and LIKE syntax is taken
literally, and the index follows new sessions, changed traces, deletes and prunes."""

from __future__ import annotations

import json

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.app.browse import list_session_page
from otel_replay.app.housekeeping import delete_session, prune_before
from otel_replay.otlp.convert import value_to_pb2
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.store import SqlSpanStore
from otel_replay.store.rows import build_span_batch
from otel_replay.store.search import SessionFilter

T0 = 1_768_471_200_000_000_000
SECOND = 1_000_000_000

# What the user says in each turn of the session under test: FTS5 and LIKE syntax inside.
TURNS = (
    "hello, I need help with my order",
    "it was order 42 from last week",
    'is my "parcel" 7-B: ship*fast or NEAR(slow) - 100%_done ^maybe OR not?',
)
LITERAL_PHRASES = (
    'my "parcel" 7-b: ship*fast',  # quotes, a hyphen, a colon, a star
    "near(slow) - 100%_done ^maybe or not",  # FTS operators and LIKE wildcards
    '"parcel"',
    "*fast",
    "7-",  # under three characters: searched without the index
    ":",
    '"pa\x00rcel" 7',  # a NUL character is dropped (no store keeps one in text)
)
NOT_THERE = ('""', '"7-b', "ship* fast", "parcel AND 7", "slow OR parcel", "_d%", "**", "--", "'")


def _chat_span(trace_no: int, span_no: int, session: str, user: str, start: int) -> trace_pb2.Span:
    span = trace_pb2.Span(
        trace_id=trace_no.to_bytes(16, "big"),
        span_id=(trace_no * 16 + span_no).to_bytes(8, "big"),
        name="chat gpt-4o",
        kind=trace_pb2.Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start,
        end_time_unix_nano=start + SECOND // 2,
    )
    messages = {
        "gen_ai.operation.name": "chat",
        "gen_ai.conversation.id": session,
        "gen_ai.input.messages": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": user}]}]
        ),
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": f"noted {span_no}"}]}]
        ),
    }
    for key, value in messages.items():
        value_to_pb2(value, span.attributes.add(key=key).value)
    return span


def _write(store: SqlSpanStore, spans: list[trace_pb2.Span]) -> None:
    request = trace_service_pb2.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    kv = resource_spans.resource.attributes.add(key="service.name")
    kv.value.string_value = "support-agent"
    resource_spans.scope_spans.add().spans.extend(spans)
    store.write([build_span_batch(request, DEFAULT_SESSION_KEYS)], [])


def _write_session(
    store: SqlSpanStore, session: str, first_trace: int, turns: tuple[str, ...]
) -> None:
    _write(
        store,
        [
            _chat_span(first_trace + n, 1, session, text, T0 + (first_trace + n) * SECOND)
            for n, text in enumerate(turns)
        ],
    )


def _found(store: SqlSpanStore, text: str) -> list[str]:
    return [row.session_id for row in list_session_page(store, SessionFilter(text=text)).rows]


@pytest.fixture
def searched(store: SqlSpanStore) -> SqlSpanStore:
    _write_session(store, "syntax-session", 1, TURNS)
    _write_session(store, "other-session", 10, ("nothing to see", "parcel tracking please"))
    return store


def test_a_phrase_of_the_third_turn_is_found_literally_in_any_case(
    searched: SqlSpanStore,
) -> None:
    for phrase in LITERAL_PHRASES:
        assert _found(searched, phrase) == ["syntax-session"], phrase
        assert _found(searched, phrase.upper()) == ["syntax-session"], phrase
    assert sorted(_found(searched, "parcel")) == ["other-session", "syntax-session"]


def test_fts_syntax_that_the_text_does_not_hold_finds_nothing_and_never_raises(
    searched: SqlSpanStore,
) -> None:
    for text in NOT_THERE:
        assert _found(searched, text) == [], text


def test_the_index_follows_new_sessions_changed_traces_deletes_and_prunes(
    searched: SqlSpanStore,
) -> None:
    _write_session(searched, "late-session", 20, ("first words", "a zebra crossing"))
    assert _found(searched, "zebra crossing") == ["late-session"]
    # A span that arrives later in a stored trace: the trace's facts (and its index row) are
    # computed again, with the new text and without losing the old.
    _write(searched, [_chat_span(21, 2, "late-session", "an okapi too", T0 + 21 * SECOND)])
    assert _found(searched, "okapi too") == ["late-session"]
    assert _found(searched, "zebra crossing") == ["late-session"]
    delete_session(searched, "late-session")
    assert _found(searched, "zebra") == []
    assert _found(searched, "okapi") == []
    assert _found(searched, '"parcel" 7-b') == ["syntax-session"]
    prune_before(searched, T0 + 5 * SECOND)  # syntax-session ended before; other did not
    assert _found(searched, "7-b:") == []
    assert _found(searched, "parcel") == ["other-session"]
    _write_session(searched, "syntax-session", 30, TURNS)  # the same text, new traces
    assert _found(searched, "7-b:") == ["syntax-session"]


def test_the_full_text_index_exists_and_agrees_with_the_facts(
    store_url: str, searched: SqlSpanStore
) -> None:
    _write(searched, [_chat_span(2, 2, "syntax-session", "one more line", T0 + 2 * SECOND)])
    assert _found(searched, "one more line") == ["syntax-session"]
    delete_session(searched, "other-session")
    if store_url.startswith("sqlite:"):
        import sqlite3

        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as raw:
            # FTS5's own check of an external-content index against its table (raises when
            # the triggers let them drift apart).
            raw.execute("INSERT INTO trace_text (trace_text, rank) VALUES ('integrity-check', 1)")
            indexed = raw.execute("SELECT COUNT(*) FROM trace_text").fetchone()[0]
            facts = raw.execute("SELECT COUNT(*) FROM trace_facts").fetchone()[0]
        assert indexed == facts == len(TURNS)
        return
    import psycopg

    with psycopg.connect(store_url) as raw:
        names = [r[0] for r in raw.execute("SELECT indexname FROM pg_indexes")]
    assert "trace_facts_text_trgm" in names
