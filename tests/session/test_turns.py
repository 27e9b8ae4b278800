"""Turn reconstruction: ordering, leaf-only usage, new user text, fallbacks and notes."""

from __future__ import annotations

import json

import pytest

from otel_replay.core.records import LogRecord, Scope, Span, StatusCode
from otel_replay.semconv.model import SpanRole
from otel_replay.session import turns as turns_module
from otel_replay.session.turns import build_conversation, build_conversations, group_sessions
from tests.builders import SECOND, make_span
from tests.session.spans import agent, chat, text, tool_request, tool_response


def test_traces_are_ordered_by_root_start_not_by_arrival_order() -> None:
    late = [agent(2, 20, start=60), chat(2, 21, 20, 61, [text("user", "second")])]
    early = [agent(1, 10, start=0), chat(1, 11, 10, 1, [text("user", "first")])]
    conversation = build_conversation("s", late + early, [])
    assert [t.user_text for t in conversation.turns] == ["first", "second"]
    assert conversation.trace_ids == (f"{1:032x}", f"{2:032x}")
    assert [t.index for t in conversation.turns] == [0, 1]


def test_trace_without_root_is_ordered_by_its_earliest_span_and_noted() -> None:
    rootless = [chat(2, 21, 99, 5, [text("user", "orphaned")])]
    rooted = [agent(1, 10, start=10), chat(1, 11, 10, 11, [text("user", "rooted")])]
    conversation = build_conversation("s", rooted + rootless, [])
    assert [t.user_text for t in conversation.turns] == ["orphaned", "rooted"]
    assert any("has no root span" in note for note in conversation.notes)


def test_orphan_span_whose_parent_never_arrives_still_belongs_to_its_trace_turn() -> None:
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [text("user", "q")]),
        chat(1, 12, 77, 2, [text("user", "q")], [text("assistant", "a")]),
    ]
    conversation = build_conversation("s", spans, [])
    (turn,) = conversation.turns
    assert [c.span_id for c in turn.llm_calls] == [f"{11:016x}", f"{12:016x}"]
    assert turn.assistant_text == "a"
    assert any("parent never arrived" in note for note in conversation.notes)


def test_new_user_message_is_the_last_user_text_not_the_repeated_history() -> None:
    history = [text("user", "first"), text("assistant", "one"), text("user", "second")]
    spans = [agent(1, 10, start=0), chat(1, 11, 10, 1, history, [text("assistant", "two")])]
    (turn,) = build_conversation("s", spans, []).turns
    assert turn.user_text == "second"
    assert turn.assistant_text == "two"


def test_agent_span_repeating_summed_usage_is_not_counted_twice() -> None:
    spans = [
        agent(1, 10, start=0, **{"gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 7}),
        chat(
            1,
            11,
            10,
            1,
            [text("user", "q")],
            **{"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 3},
        ),
        chat(
            1,
            12,
            10,
            2,
            [text("user", "q")],
            **{"gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 4},
        ),
    ]
    conversation = build_conversation("s", spans, [])
    assert (conversation.usage.input_tokens, conversation.usage.output_tokens) == (30, 7)
    assert len(conversation.turns[0].llm_calls) == 2


def test_nested_model_spans_give_one_call_with_the_outer_spans_content() -> None:
    outer = make_span(
        1,
        11,
        10,
        name="openai-chat",
        start=SECOND,
        duration=SECOND,
        attributes={
            "langfuse.observation.type": "generation",
            "langfuse.observation.output": '"hello"',
        },
    )
    inner = make_span(
        1,
        12,
        11,
        name="chat gpt-4o",
        start=SECOND + 1,
        duration=SECOND // 2,
        attributes={"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 8},
    )
    (turn,) = build_conversation("s", [agent(1, 10, start=0), outer, inner], []).turns
    (call,) = turn.llm_calls
    assert call.span_id == inner.span_id
    assert call.source_span_ids == (inner.span_id, outer.span_id)
    assert (call.output_text, call.usage.input_tokens) == ("hello", 8)


def test_llm_span_without_content_gives_a_turn_with_usage_and_notes() -> None:
    spans = [chat(1, 11, None, 0, **{"gen_ai.usage.input_tokens": 5})]
    (turn,) = build_conversation("s", spans, []).turns
    assert (turn.user_text, turn.assistant_text) == (None, None)
    assert turn.usage.input_tokens == 5
    assert "user message not found" in turn.notes
    assert "assistant reply not found" in turn.notes
    assert any("no input messages recorded" in note for note in turn.notes)


def test_user_and_reply_fall_back_to_the_root_span_and_say_so() -> None:
    root = make_span(
        1,
        10,
        name="weather_agent",
        duration=5 * SECOND,
        attributes={"openinference.span.kind": "AGENT", "input.value": "q", "output.value": "a"},
    )
    spans = [root, chat(1, 11, 10, 1, **{"gen_ai.usage.input_tokens": 5})]
    (turn,) = build_conversation("s", spans, []).turns
    assert (turn.user_text, turn.assistant_text) == ("q", "a")
    assert "user message taken from span 'weather_agent'" in turn.notes
    assert "assistant reply taken from span 'weather_agent'" in turn.notes


def test_trace_with_no_model_call_is_a_turn_noting_it() -> None:
    (turn,) = build_conversation("s", [make_span(1, 10, name="GET /health")], []).turns
    assert turn.llm_calls == ()
    assert turn.notes[0] == "no LLM call found"


def test_no_spans_give_an_empty_conversation_with_a_note() -> None:
    conversation = build_conversation("s", [], [])
    assert conversation.turns == ()
    assert "no spans" in conversation.notes


def test_error_spans_and_error_status_are_reported_on_their_turn() -> None:
    failing = chat(1, 11, 10, 1, [text("user", "q")])
    failing = Span(
        **{**failing.__dict__, "status_code": StatusCode.ERROR, "status_message": "rate limited"}
    )
    (turn,) = build_conversation("s", [agent(1, 10, start=0), failing], []).turns
    assert [(e.span_id, e.message) for e in turn.errors] == [(failing.span_id, "rate limited")]
    assert turn.llm_calls[0].error == "rate limited"


def test_log_records_of_unknown_spans_are_noted_not_used() -> None:
    stray = LogRecord(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        event_name="gen_ai.user.message",
        body={"content": "lost"},
    )
    conversation = build_conversation("s", [chat(1, 11, None, 0)], [stray])
    assert conversation.turns[0].user_text is None
    assert "1 log record(s) match no span of the session and were not used" in conversation.notes


def test_turn_latency_spans_first_start_to_last_end() -> None:
    spans = [agent(1, 10, start=0, duration=3), chat(1, 11, 10, 1, [text("user", "q")])]
    (turn,) = build_conversation("s", spans, []).turns
    assert turn.latency_unix_nano == 3 * SECOND
    assert set(turn.span_ids) == {spans[0].span_id, spans[1].span_id}


def test_livekit_greeting_without_user_turn_is_its_own_turn() -> None:
    root = make_span(1, 1, name="agent_session", duration=100 * SECOND)
    greeting = make_span(1, 2, 1, name="agent_turn", start=SECOND, duration=SECOND)
    greet_llm = make_span(
        1,
        3,
        2,
        name="llm_node",
        start=SECOND,
        duration=SECOND // 2,
        attributes={"lk.response.text": "Hello! How can I help?"},
    )
    user = make_span(
        1,
        4,
        1,
        name="user_turn",
        start=10 * SECOND,
        duration=SECOND,
        attributes={"lk.user_transcript": "Hi there"},
    )
    reply = make_span(1, 5, 1, name="agent_turn", start=11 * SECOND, duration=SECOND)
    reply_llm = make_span(
        1,
        6,
        5,
        name="llm_node",
        start=11 * SECOND,
        duration=SECOND // 2,
        attributes={"lk.response.text": "Hi!"},
    )
    conversation = build_conversation("s", [root, greeting, greet_llm, user, reply, reply_llm], [])
    assert [(t.user_text, t.assistant_text) for t in conversation.turns] == [
        (None, "Hello! How can I help?"),
        ("Hi there", "Hi!"),
    ]
    assert conversation.turns[1].span_id == user.span_id


def test_a_crashing_normaliser_degrades_to_a_noted_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> object:
        raise ValueError("bad data")

    monkeypatch.setattr(turns_module, "build_llm_call", boom)
    conversation = build_conversation("s", [chat(1, 11, None, 0), chat(2, 21, None, 9)], [])
    assert len(conversation.turns) == 2
    assert conversation.turns[0].notes == ("turn could not be reconstructed: ValueError: bad data",)


def test_sessions_resolve_per_trace_with_int_ids_and_trace_id_fallback() -> None:
    spans = [
        make_span(1, 10, attributes={"traceloop.association.properties.session_id": 15}),
        make_span(1, 11, 10),  # no key on this span: its trace speaks for it
        make_span(2, 20, attributes={"session.id": "15"}),
        make_span(3, 30, attributes={"langsmith.trace.session_id": "project-x"}),
    ]
    groups = group_sessions(spans)
    assert {k: len(v) for k, v in groups.items()} == {"15": 3, f"{3:032x}": 1}


def test_build_conversations_splits_sessions_and_routes_their_logs() -> None:
    a = chat(1, 11, None, 0, **{"gen_ai.conversation.id": "a"})
    b = chat(2, 21, None, 5, **{"gen_ai.conversation.id": "b"})
    log = LogRecord(
        trace_id=b.trace_id,
        span_id=b.span_id,
        event_name="gen_ai.user.message",
        body={"content": "for b"},
    )
    conversations = build_conversations([b, a], [log])
    assert [(c.session_id, c.turns[0].user_text) for c in conversations] == [
        ("a", None),
        ("b", "for b"),
    ]


def test_roles_are_exposed_for_callers_through_the_tree() -> None:
    from otel_replay.session.trace_tree import build_trace_trees

    (tree,) = build_trace_trees([agent(1, 10, start=0), chat(1, 11, 10, 1)])
    assert [tree.role(s) for s in tree.spans] == [SpanRole.AGENT, SpanRole.LLM]


def test_parent_link_cycle_is_cut_at_the_earliest_span_and_noted() -> None:
    first = chat(1, 11, 12, 1, [text("user", "q")])
    second = chat(1, 12, 11, 2, [text("user", "q")], [text("assistant", "a")])
    conversation = build_conversation("s", [first, second], [])
    (turn,) = conversation.turns
    assert [c.span_id for c in turn.llm_calls] == [second.span_id]
    assert turn.assistant_text == "a"
    assert any("cycle" in note for note in conversation.notes)


def test_an_agent_loops_model_call_traces_without_a_new_user_message_are_one_turn() -> None:
    # Zero-code instrumentation: one trace per model call, no agent or tool spans.
    system, ask = text("system", "be brief"), text("user", "weather in A and B?")
    asks = tool_request("c1", "get", {"city": "A"})
    first = chat(1, 11, None, 0, [system, ask], [asks])
    second = chat(
        2,
        21,
        None,
        1,
        [system, ask, asks, tool_response("c1", "rain")],
        [text("assistant", "Rain.")],
    )
    history = [system, ask, asks, tool_response("c1", "rain"), text("assistant", "Rain.")]
    third = chat(3, 31, None, 2, [*history, text("user", "and C?")], [text("assistant", "Sun.")])
    conversation = build_conversation("s", [first, second, third], [])
    one, two = conversation.turns
    assert (one.user_text, one.assistant_text, len(one.llm_calls)) == (
        "weather in A and B?",
        "Rain.",
        2,
    )
    assert [(t.call_id, t.result) for t in one.tool_calls] == [("c1", "rain")]
    assert one.trace_id == f"{1:032x}" and "one turn over 2 traces" in one.notes[0]
    assert (two.user_text, two.assistant_text, two.index) == ("and C?", "Sun.", 1)
    assert len(conversation.trace_ids) == 3


def test_a_trace_that_does_not_carry_the_previous_calls_tool_results_is_a_turn_of_its_own() -> None:
    ask = text("user", "q")
    asks = tool_request("c1", "get", {})
    first = chat(1, 11, None, 0, [ask], [asks])
    # The same history but no result for c1: an unanswered request, then a new request.
    second = chat(2, 21, None, 1, [ask, asks], [text("assistant", "?")])
    assert len(build_conversation("s", [first, second], []).turns) == 2


def test_crewai_user_text_is_the_task_its_prompt_templates() -> None:
    task = make_span(
        1,
        11,
        10,
        name="execute task",
        start=SECOND // 2,
        attributes={
            "crewai.task.description": "Weather in A?",
            "gen_ai.operation.name": "execute_task",
        },
    )
    prompt = "\nCurrent Task: Weather in A?\n\nThis is the expected criteria: short"
    spans = [agent(1, 10, start=0), task, chat(1, 12, 11, 1, [text("user", prompt)])]
    (turn,) = build_conversation("s", spans, []).turns
    assert turn.user_text == "Weather in A?"
    # A task the prompt does not hold says nothing about the user's words.
    unrelated = make_span(2, 21, 20, name="execute task", attributes=dict(task.attributes))
    other = [agent(2, 20, start=0), unrelated, chat(2, 22, 20, 1, [text("user", "Something else")])]
    (turn,) = build_conversation("s", other, []).turns
    assert turn.user_text == "Something else"


def test_openinference_crewai_task_output_names_the_task() -> None:
    output = {"description": "Weather in A?", "expected_output": "short", "raw": "Rain."}
    task = make_span(
        1,
        11,
        10,
        name="weather assistant._execute_core",
        attributes={"openinference.span.kind": "AGENT", "output.value": json.dumps(output)},
    )
    task = Span(**{**task.__dict__, "scope": Scope(name="openinference.instrumentation.crewai")})
    spans = [
        agent(1, 10, start=0),
        task,
        chat(1, 12, 11, 1, [text("user", "Current Task: Weather in A?")]),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert turn.user_text == "Weather in A?"
