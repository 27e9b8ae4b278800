"""A scenario's recorded LLM calls become the stand-in's recorded exchanges."""

from __future__ import annotations

from otel_replay.scenario.model import ScenarioMessage
from otel_replay.semconv.model import FinishReason
from otel_replay.standin import LlmAnswer, build_cassette
from tests.standin.builders import SYSTEM, WEATHER_TOOL, llm_call, message, scenario, tool_call

ASK = message("user", "Weather in Paris?")


def test_each_turn_keeps_its_calls_in_order_with_request_and_answer() -> None:
    calls = [
        llm_call(
            [message("system", "Be brief."), ASK],
            None,
            [tool_call("get_weather", {"city": "Paris"}, "toolu_1")],
            span_id="c1",
        ),
        llm_call([ASK], "Sunny.", span_id="c2", finish="stop", response_id="msg_42"),
    ]
    cassette = build_cassette(scenario([calls, []]))
    assert [[e.span_id for e in turn] for turn in cassette.turns] == [["c1", "c2"], []]
    first, second = cassette.turn(0)
    assert first.request.messages == (ScenarioMessage(role="system", content="Be brief."), ASK)
    assert first.request.tools == (WEATHER_TOOL,)
    assert first.request.model == "claude-sonnet-4-5"
    assert first.answer == LlmAnswer(
        text=None,
        tool_calls=(tool_call("get_weather", {"city": "Paris"}, "toolu_1"),),
        finish=FinishReason.TOOL_CALL,  # not recorded: follows from the tool call
        input_tokens=10,
        output_tokens=5,
        model="claude-sonnet-4-5",
    )
    assert (second.answer.text, second.answer.finish, second.answer.response_id) == (
        "Sunny.",
        FinishReason.STOP,
        "msg_42",
    )
    assert cassette.turn(5) == ()


def test_a_call_recorded_without_its_system_message_gets_the_agents_system_prompt() -> None:
    cassette = build_cassette(scenario([[llm_call([ASK], "Sunny.")]]))
    assert cassette.turn(0)[0].request.messages == (message("system", SYSTEM), ASK)


def test_tool_calls_recorded_without_ids_get_stable_ones() -> None:
    calls = [
        tool_call("get_weather", {"city": "Paris"}),
        tool_call("get_weather", {"city": "Rome"}),
    ]
    cassette = build_cassette(
        scenario([[], [llm_call([ASK], None, []), llm_call([ASK], None, calls)]])
    )
    assert [c.id for c in cassette.turn(1)[1].answer.tool_calls] == ["call_t1_1_0", "call_t1_1_1"]


def test_a_call_that_failed_without_an_answer_is_left_out() -> None:
    failed = llm_call([ASK], span_id="failed", error="rate limited").model_copy(
        update={"output_messages": []}
    )
    cassette = build_cassette(scenario([[failed, llm_call([ASK], "Sunny.", span_id="ok")]]))
    assert [(e.index, e.span_id) for e in cassette.turn(0)] == [(0, "ok")]
