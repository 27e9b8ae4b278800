"""Named matchers say what differs between a request and a recorded call; a turn's calls are
served once each, in order among equal matches; a miss names the closest call."""

from __future__ import annotations

import pytest

from otel_replay.core.errors import BadInputError
from otel_replay.scenario.model import ToolSpec
from otel_replay.standin import (
    DEFAULT_MATCH_ON,
    Divergence,
    LlmRequest,
    RecordedExchange,
    build_cassette,
    matcher_names,
    matchers,
    register_matcher,
)
from otel_replay.standin.matchers import (
    match_messages,
    match_model,
    match_parameters,
    match_tools,
    resolve_matchers,
)
from otel_replay.standin.playback import Playback
from tests.standin.builders import SYSTEM, WEATHER_TOOL, llm_call, message, scenario, tool_call

ASK = message("user", "Weather in Paris?")
CALL = tool_call("get_weather", {"city": "Paris"}, "toolu_1")
RESULT = message("tool", '{"city": "Paris", "sky": "sunny"}', tool_call_id="toolu_1")


def _recorded(**fields: object) -> RecordedExchange:
    return build_cassette(scenario([[llm_call([ASK], "Sunny.", **fields)]])).turn(0)[0]


def _request(*messages: object, **fields: object) -> LlmRequest:
    values: dict[str, object] = {
        "model": "claude-sonnet-4-5",
        "messages": (message("system", SYSTEM), *messages),
        "tools": (WEATHER_TOOL,),
    }
    return LlmRequest(**{**values, **fields})  # type: ignore[arg-type]


def test_messages_compare_role_text_and_tool_calls_but_not_call_ids() -> None:
    recorded = build_cassette(
        scenario([[llm_call([ASK, message("assistant", None, tool_calls=[CALL]), RESULT])]])
    ).turn(0)[0]
    other_id = tool_call("get_weather", {"city": "Paris"}, "call_other")
    # Tool results compare as JSON: other spacing and key order are the same result.
    same_result = message("tool", '{"sky":"sunny","city":"Paris"}', tool_call_id="call_other")
    assert (
        match_messages(
            _request(ASK, message("assistant", tool_calls=[other_id]), same_result), recorded
        )
        is None
    )
    rome = tool_call("get_weather", {"city": "Rome"})
    assert match_messages(
        _request(ASK, message("assistant", tool_calls=[rome]), RESULT), recorded
    ) == (
        'message 3 (assistant) differs: tool calls get_weather({"city":"Rome"}), '
        'recorded get_weather({"city":"Paris"})'
    )
    assert match_messages(_request(message("assistant", "Weather in Paris?")), recorded) == (
        "message 2 (user) differs: role 'assistant', recorded 'user'"
    )
    assert match_messages(_request(ASK), recorded) == (
        "2 messages, recorded 4: message 3 (assistant) is missing"
    )


def test_a_changed_system_prompt_is_named_with_where_it_changed() -> None:
    request = LlmRequest(
        "claude-sonnet-4-5", (message("system", "You answer questions about cats."), ASK)
    )
    assert match_messages(request, _recorded()) == (
        "system message differs: text at character 28: "
        "recorded 'You answer questions about the weather.', now 'You answer questions about cats.'"
    )


def test_tools_compare_names_descriptions_and_schemas_unless_none_were_recorded() -> None:
    recorded = _recorded()
    assert match_tools(_request(ASK), recorded) is None
    assert (
        match_tools(_request(ASK, tools=()), recorded)
        == "tools differ: tool 'get_weather' is not offered"
    )
    search = ToolSpec(name="search")
    changed = WEATHER_TOOL.model_copy(update={"parameters": {"type": "object"}})
    assert match_tools(_request(ASK, tools=(changed, search)), recorded) == (
        "tools differ: tool 'search' is new, tool 'get_weather' parameters "
        '{"type":"object"}, recorded {"properties":{"city":{"type":"string"}},"type":"object"}'
    )
    unrecorded = build_cassette(scenario([[llm_call([ASK])]], tools=())).turn(0)[0]
    assert match_tools(_request(ASK, tools=(search,)), unrecorded) is None


def test_model_and_parameters_compare_what_the_recording_has() -> None:
    recorded = _recorded(parameters={"temperature": 0, "max_tokens": 100})
    assert match_model(_request(ASK, model="claude-haiku-4-5"), recorded) == (
        "model 'claude-haiku-4-5', recorded 'claude-sonnet-4-5'"
    )
    assert (
        match_parameters(_request(ASK, parameters={"temperature": 0, "seed": 7}), recorded) is None
    )
    assert match_parameters(_request(ASK, parameters={"temperature": 0.7}), recorded) == (
        "parameters differ: temperature 0.7 (recorded 0)"
    )


def test_equal_requests_get_the_recorded_answers_in_order_and_a_turn_restarts_when_set() -> None:
    calls = [llm_call([ASK], "First.", span_id="c1"), llm_call([ASK], "Second.", span_id="c2")]
    playback = Playback(build_cassette(scenario([calls])))
    playback.match(_request(ASK))
    assert [e.span_id for e in playback.unserved(0)] == ["c2"]
    playback.set_turn(0)
    served = [playback.match(_request(ASK))[1] for _ in range(3)]
    assert playback.unserved(0) == []
    assert [s.answer.text for s in served[:2] if isinstance(s, RecordedExchange)] == [
        "First.",
        "Second.",
    ]
    third = served[2]
    assert isinstance(third, Divergence)
    assert third.describe() == (
        "no recorded LLM call in turn 1 matches: closest is call 1 (claude-sonnet-4-5); "
        "already answered an earlier request"
    )
    playback.set_turn(0)
    again = playback.match(_request(ASK))[1]
    assert isinstance(again, RecordedExchange) and again.answer.text == "First."


def test_a_turn_with_no_recorded_calls_says_so() -> None:
    playback = Playback(build_cassette(scenario([[llm_call([ASK])]])))
    playback.set_turn(3)
    turn, miss = playback.match(_request(ASK))
    assert turn == 3 and isinstance(miss, Divergence)
    assert (
        miss.describe()
        == "no recorded LLM call in turn 4 matches: no LLM calls were recorded in this turn"
    )


def test_match_on_takes_registered_matchers_and_names_the_valid_ones_for_a_bad_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Registered for this test only.
    monkeypatch.setattr(matchers, "_MATCHERS", dict(matchers._MATCHERS))
    assert DEFAULT_MATCH_ON == ("messages", "tools", "model")

    def same_last_user_text(request: LlmRequest, recorded: RecordedExchange) -> str | None:
        now, then = request.messages[-1].content, recorded.request.messages[-1].content
        return None if now == then else f"last message {now!r}, recorded {then!r}"

    register_matcher("last_user_text", same_last_user_text)
    assert "last_user_text" in matcher_names()
    # Matching on the last message alone: another system prompt still gets the answer.
    playback = Playback(build_cassette(scenario([[llm_call([ASK], "Sunny.")]])), ["last_user_text"])
    request = LlmRequest("other-model", (message("system", "Other."), ASK))
    assert isinstance(playback.match(request)[1], RecordedExchange)
    with pytest.raises(
        BadInputError,
        match="unknown matcher 'body'; valid matchers: messages, tools, model, parameters",
    ):
        resolve_matchers(["messages", "body"])
