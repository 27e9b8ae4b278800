"""One identity resolver: the store's trace rows and the session builder agree on ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from otel_replay.app.sessions import list_sessions
from otel_replay.core.records import AnyValue, Resource, Span
from otel_replay.otlp.convert import spans_to_request
from otel_replay.semconv.identity import (
    Identity,
    Ranked,
    identity_keys,
    resolve_identity,
    resolve_session_id,
    resolve_user_id,
)
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS, DEFAULT_USER_KEYS
from otel_replay.session.grouping import GroupBy, GroupingPolicy
from otel_replay.session.turns import build_conversation
from otel_replay.store import SqlSpanStore
from otel_replay.store.rows import build_span_batch
from tests.builders import SECOND, batch_of, make_span

MINUTE = 60 * SECOND
GAP = GroupingPolicy(GroupBy.SERVICE_USER_GAP, 10 * MINUTE)


def _livekit_trace(trace: int, participant: str, start: int = 0) -> list[Span]:
    """A LiveKit Agents voice trace: no session key; the participant on the user turns."""
    session = make_span(trace, 1, name="agent_session", start=start, service="voice-agent")
    turns = [
        make_span(
            trace,
            10 + i,
            1,
            name="user_turn",
            start=start + i * SECOND,
            attributes={"lk.participant_identity": participant, "lk.user_transcript": "hi"},
            service="voice-agent",
        )
        for i in range(2)
    ]
    return [session, *turns]


def test_livekit_participant_is_the_user_of_its_stored_trace(store: SqlSpanStore) -> None:
    spans = _livekit_trace(1, "caller-7")
    store.write([batch_of(*spans)], [])
    trace = store.get_trace(spans[0].trace_id)
    assert trace is not None
    assert trace.user_id == "caller-7"
    assert resolve_user_id(spans) == "caller-7"
    assert build_conversation(trace.session_id, spans, []).user_id == "caller-7"


def test_service_user_gap_groups_livekit_traces_by_participant(store: SqlSpanStore) -> None:
    first = _livekit_trace(1, "caller-7")
    second = _livekit_trace(2, "caller-7", start=2 * MINUTE)
    other = _livekit_trace(3, "caller-8", start=MINUTE)
    store.write([batch_of(*first, *second, *other)], [])
    grouped = list_sessions(store, policy=GAP)
    assert sorted((s.session_id, s.trace_count) for s in grouped) == [
        (f"group:{1:032x}", 2),
        (f"group:{3:032x}", 1),
    ]


def test_a_better_user_key_arriving_later_replaces_the_stored_user(store: SqlSpanStore) -> None:
    store.write([batch_of(make_span(4, 2, 1, attributes={"enduser.id": "weak"}))], [])
    store.write([batch_of(make_span(4, 1, attributes={"user.id": "strong"}))], [])
    store.write([batch_of(make_span(4, 3, 1, attributes={"langfuse.user.id": "middle"}))], [])
    trace = store.get_trace(f"{4:032x}")
    assert trace is not None
    assert trace.user_id == "strong"


def test_pipecat_stt_user_id_ranks_after_every_user_key() -> None:
    stt = make_span(5, 2, 1, name="stt", attributes={"user_id": "from-stt"})
    not_stt = make_span(5, 3, 1, name="tts", attributes={"user_id": "not-a-user-key"})
    resource_user = make_span(5, 1)
    resource_user = Span(
        **{**resource_user.__dict__, "resource": Resource({"enduser.id": "from-resource"})}
    )
    assert resolve_user_id([stt, not_stt]) == "from-stt"
    assert resolve_user_id([stt, resource_user]) == "from-resource"
    assert resolve_user_id([not_stt]) is None


def test_resource_keys_rank_after_every_span_key() -> None:
    on_resource = Span(
        **{
            **make_span(6, 1).__dict__,
            "resource": Resource({"gen_ai.conversation.id": "resource-session"}),
        }
    )
    on_span = make_span(6, 2, 1, attributes={"conversation.id": "span-session"})
    assert resolve_session_id([on_resource, on_span]) == "span-session"
    assert resolve_session_id([on_resource]) == "resource-session"


def test_ties_go_to_the_earliest_span() -> None:
    spans = [make_span(7, i, attributes={"session.id": f"s{i}"}) for i in (1, 2)]
    assert resolve_identity(spans) == Identity(Ranked(1, "s1"), None)


_KEYS = (*DEFAULT_SESSION_KEYS[:3], *DEFAULT_USER_KEYS[:2], *DEFAULT_USER_KEYS[-2:], "other")
_VALUES: st.SearchStrategy[AnyValue] = st.one_of(
    st.sampled_from(["a", "b", " ", ""]), st.integers(-2, 2), st.booleans(), st.none()
)
_ATTRIBUTES = st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=4)


@given(
    st.lists(
        st.tuples(st.sampled_from(["chat", "stt"]), _ATTRIBUTES, _ATTRIBUTES),
        min_size=1,
        max_size=6,
    )
)
def test_store_rows_and_session_builder_resolve_the_same_identity(
    drawn: list[tuple[str, dict[str, AnyValue], dict[str, AnyValue]]],
) -> None:
    spans = [
        Span(
            **{
                **make_span(1, i + 1, name=name, attributes=attributes).__dict__,
                "resource": Resource({"service.name": "svc", **resource}),
            }
        )
        for i, (name, attributes, resource) in enumerate(drawn)
    ]
    batch = build_span_batch(spans_to_request(spans), DEFAULT_SESSION_KEYS)
    from_rows = batch.identities.get(spans[0].trace_id, Identity())
    # Ties go to the earliest span: in the order the request holds them (grouped by resource).
    by_id = {span.span_id: span for span in spans}
    in_request_order = [by_id[row.span_id] for row in batch.spans]
    from_records = resolve_identity(in_request_order, identity_keys(DEFAULT_SESSION_KEYS))
    assert from_rows == from_records
