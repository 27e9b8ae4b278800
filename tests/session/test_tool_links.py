"""Tool calls: request -> execution span -> result, by call id, name order, or LLM input."""

from __future__ import annotations

import json

from otel_replay.core.records import Span
from otel_replay.semconv.model import LinkedBy
from otel_replay.session.turns import build_conversation
from tests.builders import SECOND, make_span
from tests.session.spans import agent, chat, execute_tool, text, tool_request, tool_response

Q = text("user", "q")


def _summary(conversation_turn: object) -> list[tuple[object, ...]]:
    return [
        (t.name, t.call_id, t.arguments, t.result, t.linked_by, t.error)
        for t in conversation_turn.tool_calls  # type: ignore[attr-defined]
    ]


def test_same_name_tools_without_ids_link_to_spans_in_time_order() -> None:
    asks = [tool_request(None, "get", {"city": "A"}), tool_request(None, "get", {"city": "B"})]
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], asks),
        execute_tool(1, 13, 10, 2.5, "get", **{"gen_ai.tool.call.result": '"rain in B"'}),
        execute_tool(1, 12, 10, 2.0, "get", **{"gen_ai.tool.call.result": '"sun in A"'}),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert _summary(turn) == [
        ("get", None, {"city": "A"}, "sun in A", LinkedBy.NAME_ORDER, None),
        ("get", None, {"city": "B"}, "rain in B", LinkedBy.NAME_ORDER, None),
    ]
    assert [t.execution_span_id for t in turn.tool_calls] == [f"{12:016x}", f"{13:016x}"]


def test_call_id_wins_over_order_and_a_span_naming_another_id_is_not_taken_by_name() -> None:
    asks = [tool_request("c1", "get", {"n": 1}), tool_request("c2", "get", {"n": 2})]
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], asks),
        execute_tool(1, 12, 10, 2.0, "get", **{"gen_ai.tool.call.id": "c2"}),
        execute_tool(1, 13, 10, 2.5, "get", **{"gen_ai.tool.call.id": "c9"}),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    linked = [(t.call_id, t.linked_by, t.execution_span_id) for t in turn.tool_calls]
    assert linked == [
        ("c1", LinkedBy.REQUEST_ONLY, None),
        ("c2", LinkedBy.CALL_ID, f"{12:016x}"),
        ("c9", LinkedBy.SPAN_ONLY, f"{13:016x}"),
    ]


def test_result_comes_from_the_next_llm_input_when_the_span_has_none() -> None:
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], [tool_request("c1", "get", {"n": 1})]),
        execute_tool(1, 12, 10, 2, "get", **{"gen_ai.tool.call.id": "c1"}),
        chat(
            1,
            13,
            10,
            3,
            [Q, tool_request("c1", "get", {"n": 1}), tool_response("c1", {"v": 7})],
            [text("assistant", "7")],
        ),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    (tool,) = turn.tool_calls
    assert (tool.result, tool.linked_by) == ({"v": 7}, LinkedBy.CALL_ID)
    assert (tool.request_span_id, tool.result_span_id) == (f"{11:016x}", f"{13:016x}")


def test_request_without_execution_span_is_request_only_and_noted_when_unanswered() -> None:
    spans = [agent(1, 10, start=0), chat(1, 11, 10, 1, [Q], [tool_request("c1", "get", {})])]
    (turn,) = build_conversation("s", spans, []).turns
    (tool,) = turn.tool_calls
    assert (tool.linked_by, tool.result) == (LinkedBy.REQUEST_ONLY, None)
    assert "tool call get (c1): no result recorded" in turn.notes


def test_unrecorded_request_is_synthesised_from_the_next_llm_input() -> None:
    asked = tool_request("c1", "get", {"n": 1})
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q]),  # output not recorded
        chat(1, 12, 10, 3, [Q, asked, tool_response("c1", "seven")], [text("assistant", "7")]),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert _summary(turn) == [("get", "c1", {"n": 1}, "seven", LinkedBy.LLM_INPUT_ONLY, None)]
    assert turn.tool_calls[0].request_span_id is None
    assert turn.tool_calls[0].result_span_id == f"{12:016x}"


def test_tool_calls_in_a_later_turns_history_are_not_synthesised_again() -> None:
    asked = tool_request("c1", "get", {"n": 1})
    first = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q]),
        chat(1, 12, 10, 3, [Q, asked, tool_response("c1", 7)], [text("assistant", "7")]),
    ]
    history = [Q, asked, tool_response("c1", 7), text("assistant", "7"), text("user", "thanks")]
    second = [agent(2, 20, start=60), chat(2, 21, 20, 61, history, [text("assistant", "bye")])]
    turns = build_conversation("s", first + second, []).turns
    assert [len(t.tool_calls) for t in turns] == [1, 0]
    assert turns[1].user_text == "thanks"


def test_unrequested_execution_span_is_span_only_with_its_own_facts() -> None:
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], [text("assistant", "done")]),
        execute_tool(1, 12, 10, 2, "audit", **{"gen_ai.tool.call.arguments": '{"x": 1}'}),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert _summary(turn) == [("audit", None, {"x": 1}, None, LinkedBy.SPAN_ONLY, None)]


def test_bare_app_span_named_like_the_tool_is_matched_by_name() -> None:
    bare = make_span(1, 12, 10, name="get_weather", start=2 * SECOND, duration=SECOND)
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], [tool_request("c1", "get_weather", {})]),
        bare,
    ]
    (turn,) = build_conversation("s", spans, []).turns
    (tool,) = turn.tool_calls
    assert (tool.linked_by, tool.execution_span_id) == (LinkedBy.NAME_ORDER, bare.span_id)


def test_failed_tool_is_an_error_on_the_call_and_the_turn() -> None:
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], [tool_request("c1", "get", {})]),
        make_span(
            1,
            12,
            10,
            name="function_tool",
            start=2 * SECOND,
            duration=SECOND,
            attributes={
                "lk.function_tool.id": "c1",
                "lk.function_tool.name": "get",
                "lk.function_tool.output": "no such city",
                "lk.function_tool.is_error": True,
            },
        ),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert turn.tool_calls[0].error == "no such city"
    assert [(e.span_id, e.message) for e in turn.errors] == [(f"{12:016x}", "no such city")]


def test_ai_sdk_v7_tool_span_nested_under_its_step_links_by_call_id() -> None:
    # v7: invoke_agent root -> chat step -> execute_tool (nested under the step span).
    spans = [
        agent(1, 10, start=0, **{"gen_ai.usage.input_tokens": 99}),
        chat(
            1,
            11,
            10,
            1,
            [Q],
            [tool_request("c1", "get", {"n": 1})],
            **{"gen_ai.usage.input_tokens": 40},
        ),
        execute_tool(
            1,
            12,
            11,
            1.2,
            "get",
            **{"gen_ai.tool.call.id": "c1", "gen_ai.tool.call.result": '{"v": 1}'},
        ),
        chat(1, 13, 10, 3, [Q], [text("assistant", "1")], **{"gen_ai.usage.input_tokens": 59}),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert _summary(turn) == [("get", "c1", {"n": 1}, {"v": 1}, LinkedBy.CALL_ID, None)]
    assert turn.usage.input_tokens == 99
    assert turn.assistant_text == "1"


def test_name_order_never_links_a_tool_span_that_ran_before_the_request() -> None:
    spans = [
        agent(1, 10, start=0),
        execute_tool(1, 12, 10, 0.5, "get"),
        chat(1, 11, 10, 1, [Q], [tool_request(None, "get", {})]),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert [(t.linked_by, t.execution_span_id) for t in turn.tool_calls] == [
        (LinkedBy.SPAN_ONLY, f"{12:016x}"),
        (LinkedBy.REQUEST_ONLY, None),
    ]


def test_parallel_same_name_calls_link_to_the_spans_that_ran_their_arguments() -> None:
    # Two calls in one assistant message, executed concurrently: B's span starts first.
    asks = [tool_request(None, "get", {"city": "A"}), tool_request(None, "get", {"city": "B"})]
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], asks),
        execute_tool(
            1,
            12,
            10,
            2.0,
            "get",
            **{"gen_ai.tool.call.arguments": '{"city": "B"}', "gen_ai.tool.call.result": '"rain"'},
        ),
        execute_tool(
            1,
            13,
            10,
            2.5,
            "get",
            **{"gen_ai.tool.call.arguments": '{"city": "A"}', "gen_ai.tool.call.result": '"sun"'},
        ),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    linked = [(t.arguments, t.result, t.execution_span_id) for t in turn.tool_calls]
    # Listed in the order the model asked for them.
    assert linked == [
        ({"city": "A"}, "sun", f"{13:016x}"),
        ({"city": "B"}, "rain", f"{12:016x}"),
    ]
    assert {t.linked_by for t in turn.tool_calls} == {LinkedBy.NAME_ORDER}


def test_argument_match_never_reaches_past_the_next_model_call() -> None:
    # get(A) asked twice in a row; only the second run recorded its arguments.
    first, second = (
        tool_request(None, "get", {"city": "A"}),
        tool_request(None, "get", {"city": "A"}),
    )
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], [first]),
        execute_tool(1, 12, 10, 2, "get", **{"gen_ai.tool.call.result": '"one"'}),
        chat(1, 13, 10, 3, [Q, first, tool_response(None, "one", "get")], [second]),
        execute_tool(
            1,
            14,
            10,
            4,
            "get",
            **{"gen_ai.tool.call.arguments": '{"city": "A"}', "gen_ai.tool.call.result": '"two"'},
        ),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert [(t.result, t.execution_span_id) for t in turn.tool_calls] == [
        ("one", f"{12:016x}"),
        ("two", f"{14:016x}"),
    ]


def _langchain_tool(span: int, start: float, city: str, call_id: str) -> Span:
    """An OpenInference LangChain TOOL span: a bare-string input, a ToolMessage output."""
    message = {"content": json.dumps({"city": city}), "tool_call_id": call_id, "type": "tool"}
    return make_span(
        1,
        span,
        10,
        name="get",
        start=int(start * SECOND),
        duration=SECOND // 4,
        attributes={
            "openinference.span.kind": "TOOL",
            "tool.name": "get",
            "input.value": city,
            "output.value": json.dumps({"type": "tool", "data": message}),
        },
    )


def test_langchain_tools_run_concurrently_pair_by_their_tool_message_call_id() -> None:
    asks = [tool_request("c1", "get", {"city": "A"}), tool_request("c2", "get", {"city": "B"})]
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], asks),
        # B's tool started first: start-time order alone would swap the results.
        _langchain_tool(12, 2.0, "B", "c2"),
        _langchain_tool(13, 2.1, "A", "c1"),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert _summary(turn) == [
        ("get", "c1", {"city": "A"}, {"city": "A"}, LinkedBy.NAME_ORDER, None),
        ("get", "c2", {"city": "B"}, {"city": "B"}, LinkedBy.NAME_ORDER, None),
    ]
    assert [t.execution_span_id for t in turn.tool_calls] == [f"{13:016x}", f"{12:016x}"]


def test_the_next_model_input_result_for_the_call_id_wins_over_a_name_paired_span() -> None:
    asks = [tool_request("c1", "get", {"n": 1}), tool_request("c2", "get", {"n": 2})]
    spans = [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [Q], asks),
        # No call id on the spans, and they ran in the other order.
        execute_tool(1, 12, 10, 2.0, "get", **{"gen_ai.tool.call.result": '"two"'}),
        execute_tool(1, 13, 10, 2.1, "get", **{"gen_ai.tool.call.result": '"one"'}),
        chat(
            1,
            14,
            10,
            3,
            [Q, *asks, tool_response("c1", "one"), tool_response("c2", "two")],
            [text("assistant", "done")],
        ),
    ]
    (turn,) = build_conversation("s", spans, []).turns
    assert [(t.call_id, t.result) for t in turn.tool_calls] == [("c1", "one"), ("c2", "two")]
