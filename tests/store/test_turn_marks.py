"""Listing sessions counts turns from what each stored span tells (store/rows.py TURN_MARK_*),
by the full rebuild's rules: a voice turn span is a turn, the OpenAI Agents SDK's `turn`
step is not, and a trace whose root model call carries tool results continues a turn."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.app.sessions import list_sessions
from otel_replay.otlp.convert import value_to_pb2
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.session.grouping import GroupBy, GroupingPolicy
from otel_replay.store.rows import (
    TURN_MARK_CONTINUES,
    TURN_MARK_NONE,
    TURN_MARK_TURN,
    build_span_batch,
)
from otel_replay.store.search import SessionFilter
from otel_replay.store.sql import SqlSpanStore

T0 = 1_768_471_200_000_000_000
SECOND = 1_000_000_000

USER = {"role": "user", "parts": [{"type": "text", "content": "weather in Paris?"}]}
CALLS = {
    "role": "assistant",
    "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {}}],
}
RESULTS = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "9"}]}


def _request(
    spans: Sequence[tuple[str, str, dict[str, object]]],
    scope: str = "opentelemetry.util.genai.handler",
    trace: int = 1,
    start: int = T0,
) -> trace_service_pb2.ExportTraceServiceRequest:
    """Spans (span id, parent id, name and attributes) of one trace under one scope."""
    request = trace_service_pb2.ExportTraceServiceRequest()
    scope_spans = request.resource_spans.add().scope_spans.add()
    scope_spans.scope.name = scope
    for offset, (span_id, parent, attributes) in enumerate(spans):
        name = str(attributes.pop("name"))
        pb2_span = scope_spans.spans.add(
            trace_id=trace.to_bytes(16, "big"),
            span_id=bytes.fromhex(span_id),
            parent_span_id=bytes.fromhex(parent),
            name=name,
            start_time_unix_nano=start + offset,
            end_time_unix_nano=start + offset + SECOND // 2,
        )
        for key, value in attributes.items():
            value_to_pb2(value, pb2_span.attributes.add(key=key).value)  # type: ignore[arg-type]
    return request


def _chat(*messages: object) -> dict[str, object]:
    return {
        "name": "chat gpt-4o-mini",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.input.messages": json.dumps(list(messages)),
    }


def _marks(request: trace_service_pb2.ExportTraceServiceRequest) -> list[int]:
    return [row.turn_mark for row in build_span_batch(request, DEFAULT_SESSION_KEYS).spans]


ROOT = "00" * 8
A, B, C = "aa" * 8, "bb" * 8, "cc" * 8


def test_a_root_model_call_answering_tool_results_continues_a_turn() -> None:
    assert _marks(_request([(A, ROOT, _chat(USER, CALLS, RESULTS))])) == [TURN_MARK_CONTINUES]
    assert _marks(_request([(A, ROOT, _chat(USER, CALLS, RESULTS, USER))])) == [TURN_MARK_NONE]
    # Inside an agent's trace the model call is one step of the turn the trace is.
    agent = {"name": "invoke_agent weather", "gen_ai.operation.name": "invoke_agent"}
    nested = _request([(A, ROOT, agent), (B, A, _chat(USER, CALLS, RESULTS))])
    assert _marks(nested) == [TURN_MARK_NONE, TURN_MARK_NONE]


def test_turn_spans_are_turns_only_with_their_framework_evidence() -> None:
    pipecat = _request(
        [(A, ROOT, {"name": "conversation"}), (B, A, {"name": "turn", "turn.number": 1})],
        scope="pipecat",
    )
    assert _marks(pipecat) == [TURN_MARK_NONE, TURN_MARK_TURN]
    livekit = _request([(A, ROOT, {"name": "agent_session"}), (B, A, {"name": "user_turn"})])
    assert _marks(livekit) == [TURN_MARK_NONE, TURN_MARK_TURN]
    agents_sdk = _request(
        [(A, ROOT, {"name": "Agent workflow"}), (B, A, {"name": "turn"})],
        scope="openinference.instrumentation.openai_agents",
    )
    assert _marks(agents_sdk) == [TURN_MARK_NONE, TURN_MARK_NONE]
    replay = _request([(A, ROOT, {"name": "otel_replay.turn 2"})])
    assert _marks(replay) == [TURN_MARK_TURN]


def _write(store: SqlSpanStore, *requests: trace_service_pb2.ExportTraceServiceRequest) -> None:
    store.write([build_span_batch(r, DEFAULT_SESSION_KEYS) for r in requests])


def _keyed(attributes: dict[str, object]) -> dict[str, object]:
    return {**attributes, "session.id": "s1"}


def test_sessions_count_a_continuing_trace_in_the_turn_before_it(store: SqlSpanStore) -> None:
    _write(
        store,
        _request([(A, ROOT, _keyed(_chat(USER)))], trace=1, start=T0),
        _request([(B, ROOT, _keyed(_chat(USER, CALLS, RESULTS)))], trace=2, start=T0 + SECOND),
        _request([(C, ROOT, _keyed(_chat(USER, CALLS, RESULTS, USER)))], trace=3, start=T0 + 9),
    )
    [keyed] = list_sessions(store)
    assert (keyed.session_id, keyed.trace_count, keyed.turn_count) == ("s1", 3, 2)
    [searched] = store.search_sessions(SessionFilter(), limit=10)
    assert searched.turn_count == 2


def test_a_continuing_trace_that_opens_its_session_is_its_first_turn(store: SqlSpanStore) -> None:
    _write(
        store,
        _request([(A, ROOT, _keyed(_chat(USER, CALLS, RESULTS)))], trace=1, start=T0),
        _request([(B, ROOT, _keyed(_chat(USER, CALLS, RESULTS)))], trace=2, start=T0 + SECOND),
    )
    assert [s.turn_count for s in list_sessions(store)] == [1]
    assert [s.turn_count for s in store.search_sessions(SessionFilter(), limit=10)] == [1]
    assert [t.continues_turn for t in store.list_traces(10)] == [True, True]


@pytest.mark.parametrize("group_by", list(GroupBy))
def test_keyless_continuing_traces_join_the_turn_before_when_grouped(
    store: SqlSpanStore, group_by: GroupBy
) -> None:
    _write(
        store,
        _request([(A, ROOT, _chat(USER))], trace=1, start=T0),
        _request([(B, ROOT, _chat(USER, CALLS, RESULTS))], trace=2, start=T0 + SECOND),
    )
    sessions = list_sessions(store, policy=GroupingPolicy(group_by))
    # One trace a session: each is a turn; grouped, the second continues the first.
    expected = [1, 1] if group_by is GroupBy.TRACE else [2 - 1]
    assert sorted(s.turn_count for s in sessions) == expected
