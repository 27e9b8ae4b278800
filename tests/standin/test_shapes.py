"""Each API's shape: requests normalise to one model, answers survive the trip through the
response body and through the stream, errors come from one table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otel_replay.scenario.model import ScenarioMessage, ToolCallRequest, ToolSpec
from otel_replay.semconv.model import FinishReason
from otel_replay.standin import LlmAnswer, ProviderApi
from otel_replay.standin.providers import PROVIDER_SHAPES, api_for_path
from otel_replay.standin.shapes import ERRORS, ErrorKind, parameters_of

CHAT = PROVIDER_SHAPES[ProviderApi.OPENAI_CHAT]
RESPONSES = PROVIDER_SHAPES[ProviderApi.OPENAI_RESPONSES]
MESSAGES = PROVIDER_SHAPES[ProviderApi.ANTHROPIC_MESSAGES]
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}
CONVERSATION = (
    ScenarioMessage(role="system", content="Be brief."),
    ScenarioMessage(role="user", content="Weather in Paris and Rome?"),
    ScenarioMessage(
        role="assistant",
        content="Looking.",
        tool_calls=[
            ToolCallRequest(id="c1", name="get_weather", arguments={"city": "Paris"}),
            ToolCallRequest(id="c2", name="get_weather", arguments={"city": "Rome"}),
        ],
    ),
    ScenarioMessage(role="tool", content="sunny", tool_call_id="c1"),
    ScenarioMessage(role="tool", content="rainy", tool_call_id="c2"),
    ScenarioMessage(role="user", content="And tomorrow?"),
)


def test_one_conversation_in_three_shapes_normalises_to_the_same_request() -> None:
    chat = CHAT.normalise_request(
        {
            "model": "m",
            "messages": [
                {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
                {"role": "user", "content": "Weather in Paris and Rome?"},
                {
                    "role": "assistant",
                    "content": "Looking.",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                        },
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                        },
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
                {
                    "role": "tool",
                    "tool_call_id": "c2",
                    "content": [{"type": "text", "text": "rainy"}],
                },
                {"role": "user", "content": "And tomorrow?"},
            ],
            "tools": [
                {"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA}}
            ],
            "temperature": 0,
            "max_completion_tokens": 50,
            "stop": "END",
        }
    )
    responses = RESPONSES.normalise_request(
        {
            "model": "m",
            "instructions": "Be brief.",
            "input": [
                {
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Weather in Paris and Rome?"}],
                },
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "Looking."}],
                },
                {
                    "type": "function_call",
                    "call_id": "c1",
                    "name": "get_weather",
                    "arguments": '{"city": "Paris"}',
                },
                {
                    "type": "function_call",
                    "call_id": "c2",
                    "name": "get_weather",
                    "arguments": '{"city": "Rome"}',
                },
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
                {"type": "function_call_output", "call_id": "c2", "output": "rainy"},
                {"type": "reasoning", "summary": []},
                {"role": "user", "content": "And tomorrow?"},
            ],
            "tools": [{"type": "function", "name": "get_weather", "parameters": SCHEMA}],
            "temperature": 0,
            "max_output_tokens": 50,
        }
    )
    messages = MESSAGES.normalise_request(
        {
            "model": "m",
            "system": [{"type": "text", "text": "Be brief."}],
            "max_tokens": 50,
            "messages": [
                {"role": "user", "content": "Weather in Paris and Rome?"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Looking."},
                        {
                            "type": "tool_use",
                            "id": "c1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        },
                        {
                            "type": "tool_use",
                            "id": "c2",
                            "name": "get_weather",
                            "input": {"city": "Rome"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "c1", "content": "sunny"},
                        {
                            "type": "tool_result",
                            "tool_use_id": "c2",
                            "content": [{"type": "text", "text": "rainy"}],
                        },
                        {"type": "text", "text": "And tomorrow?"},
                    ],
                },
            ],
            "tools": [{"name": "get_weather", "input_schema": SCHEMA}],
            "temperature": 0,
        }
    )
    tools = (ToolSpec(name="get_weather", parameters=SCHEMA),)
    for request in (chat, responses, messages):
        assert (request.model, request.messages, request.tools) == ("m", CONVERSATION, tools)
    assert chat.parameters == {"temperature": 0, "max_tokens": 50, "stop_sequences": ["END"]}
    assert responses.parameters == messages.parameters == {"temperature": 0, "max_tokens": 50}


def test_request_parameters_take_the_names_scenarios_record() -> None:
    assert parameters_of({"n": 2, "stop_sequences": ["x"], "top_k": 5, "seed": 1, "user": "u"}) == {
        "choice_count": 2,
        "stop_sequences": ["x"],
        "top_k": 5,
        "seed": 1,
    }


_ARGUMENTS = st.dictionaries(
    st.text(min_size=1, max_size=8), st.one_of(st.text(max_size=12), st.integers()), max_size=3
)
_CALLS = st.lists(
    st.builds(
        ToolCallRequest,
        id=st.from_regex(r"call_[a-z0-9]{1,6}", fullmatch=True),
        name=st.from_regex(r"[a-z_]{1,10}", fullmatch=True),
        arguments=_ARGUMENTS,
    ),
    max_size=3,
)


@st.composite
def _answers(draw: st.DrawFn) -> LlmAnswer:
    calls = tuple(draw(_CALLS))
    finishes = [FinishReason.STOP, FinishReason.LENGTH, FinishReason.CONTENT_FILTER]
    return LlmAnswer(
        text=draw(st.one_of(st.none(), st.text(min_size=1, max_size=40))),
        tool_calls=calls,
        finish=FinishReason.TOOL_CALL if calls else draw(st.sampled_from(finishes)),
        input_tokens=draw(st.integers(0, 10_000)),
        output_tokens=draw(st.integers(0, 10_000)),
        model="m-2025",
        response_id=None,
    )


@pytest.mark.parametrize("api", list(ProviderApi))
@given(answer=_answers())
def test_an_answer_reads_back_the_same_from_its_response_and_from_its_stream(
    api: ProviderApi, answer: LlmAnswer
) -> None:
    shape = PROVIDER_SHAPES[api]
    body = {"stream": True, "stream_options": {"include_usage": True}}
    from_response = shape.read_response(shape.render_response(answer, "m", "t0c0"))
    from_stream = shape.read_stream(shape.render_stream(answer, "m", "t0c0", body))
    for read in (from_response, from_stream):
        assert (read.text, read.tool_calls, read.finish) == (
            answer.text,
            answer.tool_calls,
            answer.finish,
        )
        assert (read.input_tokens, read.output_tokens, read.model) == (
            answer.input_tokens,
            answer.output_tokens,
            "m-2025",
        )
    assert from_stream.response_id == from_response.response_id


def test_each_error_kind_has_one_status_and_a_type_per_provider() -> None:
    assert {kind: rule.status for kind, rule in ERRORS.items()} == {
        ErrorKind.NO_MATCH: 400,
        ErrorKind.BAD_REQUEST: 400,
        ErrorKind.NOT_FOUND: 404,
        ErrorKind.NO_API_KEY: 401,
        ErrorKind.UPSTREAM_UNAVAILABLE: 502,
        ErrorKind.INTERNAL: 500,
    }
    assert CHAT.render_error(ErrorKind.NO_MATCH, "no") == {
        "error": {
            "message": "no",
            "type": "invalid_request_error",
            "param": None,
            "code": "no_recorded_match",
        }
    }
    assert MESSAGES.render_error(ErrorKind.NO_API_KEY, "no key") == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "no key"},
    }


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/v1/chat/completions", ProviderApi.OPENAI_CHAT),
        ("/chat/completions/", ProviderApi.OPENAI_CHAT),
        ("/v1/responses?x=1", ProviderApi.OPENAI_RESPONSES),
        ("/v1/messages", ProviderApi.ANTHROPIC_MESSAGES),
        ("/v1/embeddings", None),
    ],
)
def test_a_path_names_its_api(path: str, api: ProviderApi | None) -> None:
    assert api_for_path(path) is api
