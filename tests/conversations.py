"""A hand-built two-turn Conversation (weather agent), for tests of what consumes the model."""

from __future__ import annotations

from otel_replay.semconv.model import (
    AgentDefinition,
    Conversation,
    FinishReason,
    LinkedBy,
    LlmCall,
    Message,
    Part,
    PartType,
    Role,
    ToolCall,
    ToolDefinition,
    Turn,
    Usage,
)

T0 = 1_768_471_200_000_000_000
MS = 1_000_000
TRACE_1 = "11" * 16
TRACE_2 = "22" * 16


def _text(role: Role, text: str) -> Message:
    return Message(role, (Part(PartType.TEXT, text=text),))


def weather_conversation() -> Conversation:
    question = _text(Role.USER, "What's the weather in Paris?")
    call = Message(
        Role.ASSISTANT,
        (
            Part(
                PartType.TOOL_CALL,
                call_id="call_1",
                name="get_weather",
                arguments={"location": "Paris"},
            ),
        ),
    )
    result = Message(
        Role.TOOL, (Part(PartType.TOOL_RESULT, call_id="call_1", result={"temperature_c": 14}),)
    )
    answer = _text(Role.ASSISTANT, "It is 14°C in Paris.")
    llm_1 = LlmCall(
        TRACE_1,
        "a1" * 8,
        "chat gpt-4o",
        T0 + 10 * MS,
        T0 + 500 * MS,
        request_model="gpt-4o",
        input_messages=(question,),
        output_messages=(call,),
        usage=Usage(62, 17),
        finish=FinishReason.TOOL_CALL,
        response_id="r1",
    )
    llm_2 = LlmCall(
        TRACE_1,
        "a2" * 8,
        "chat gpt-4o",
        T0 + 600 * MS,
        T0 + 900 * MS,
        request_model="gpt-4o",
        input_messages=(question, call, result),
        output_messages=(answer,),
        usage=Usage(96, 14),
        finish=FinishReason.STOP,
        response_id="r2",
    )
    tool = ToolCall(
        "get_weather",
        "call_1",
        {"location": "Paris"},
        {"temperature_c": 14},
        LinkedBy.CALL_ID,
        TRACE_1,
        request_span_id=llm_1.span_id,
        execution_span_id="a3" * 8,
        result_span_id=llm_2.span_id,
        start_unix_nano=T0 + 510 * MS,
        end_unix_nano=T0 + 590 * MS,
    )
    turn_1 = Turn(
        0,
        TRACE_1,
        "a0" * 8,
        "What's the weather in Paris?",
        "It is 14°C in Paris.",
        (llm_1, llm_2),
        (tool,),
        T0,
        T0 + 1000 * MS,
        Usage(158, 31),
    )
    thanks = _text(Role.USER, "Thanks!")
    llm_3 = LlmCall(
        TRACE_2,
        "b1" * 8,
        "chat gpt-4o",
        T0 + 60_010 * MS,
        T0 + 60_300 * MS,
        request_model="gpt-4o",
        input_messages=(question, answer, thanks),
        output_messages=(_text(Role.ASSISTANT, "You're welcome."),),
        usage=Usage(121, 16),
        finish=FinishReason.STOP,
    )
    turn_2 = Turn(
        1,
        TRACE_2,
        "b0" * 8,
        "Thanks!",
        "You're welcome.",
        (llm_3,),
        (),
        T0 + 60_000 * MS,
        T0 + 60_400 * MS,
        Usage(121, 16),
    )
    return Conversation(
        "weather-session",
        "user-42",
        (TRACE_1, TRACE_2),
        (turn_1, turn_2),
        AgentDefinition(
            name="weather",
            system_prompt="Be helpful.",
            model="gpt-4o",
            tools=(ToolDefinition("get_weather", "Weather now", {"type": "object"}),),
        ),
    )
