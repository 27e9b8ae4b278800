"""The message sniffer reads every payload shape producers put in span attributes."""

from __future__ import annotations

import json

from otel_replay.semconv.messages import (
    joined_text,
    langchain_tool_message,
    last_user_text,
    parse_input_messages,
    parse_messages,
    parse_output_messages,
    payload_text,
)
from otel_replay.semconv.model import Message, PartType, Role

OTEL = [
    {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
    {"role": "user", "parts": [{"type": "text", "content": "weather?"}]},
    {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "c1", "name": "get", "arguments": {"q": "x"}}],
    },
    {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": {"t": 1}}]},
]


def _summary(messages: tuple[Message, ...] | None) -> list[tuple[object, ...]]:
    assert messages is not None
    return [
        (
            m.role,
            m.text,
            [
                (p.type, p.call_id, p.name, p.arguments, p.result)
                for p in m.parts
                if p.type is not PartType.TEXT
            ],
        )
        for m in messages
    ]


def test_otel_parts_as_json_text_and_as_structured_value_parse_the_same() -> None:
    from_text = parse_messages(json.dumps(OTEL))
    from_value = parse_messages(OTEL)  # type: ignore[arg-type]
    assert from_text == from_value
    assert _summary(from_text) == [
        (Role.SYSTEM, "be brief", []),
        (Role.USER, "weather?", []),
        (Role.ASSISTANT, None, [(PartType.TOOL_CALL, "c1", "get", {"q": "x"}, None)]),
        (Role.TOOL, None, [(PartType.TOOL_RESULT, "c1", None, None, {"t": 1})]),
    ]


def test_openai_chat_tool_calls_parse_json_arguments_and_tool_message_results() -> None:
    messages = parse_messages(
        [
            {"role": "developer", "content": "be brief"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get", "arguments": '{"q": "x"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": '{"t": 1}'},
        ]
    )
    assert _summary(messages) == [
        (Role.SYSTEM, "be brief", []),
        (Role.ASSISTANT, None, [(PartType.TOOL_CALL, "c1", "get", {"q": "x"}, None)]),
        (Role.TOOL, None, [(PartType.TOOL_RESULT, "c1", None, None, {"t": 1})]),
    ]


def test_pydantic_ai_tool_results_in_user_messages_with_result_key() -> None:
    messages = parse_messages(
        [
            {
                "role": "user",
                "parts": [
                    {"type": "tool_call_response", "id": "c1", "name": "get", "result": {"t": 1}}
                ],
            }
        ]
    )
    (message,) = messages or ()
    assert message.role is Role.USER
    assert message.text is None
    assert message.tool_call_id == "c1"
    assert message.tool_results[0].result == {"t": 1}
    assert last_user_text(messages or ()) is None


def test_ai_sdk_prompt_parts_and_wrapped_tool_output() -> None:
    messages = parse_messages(
        [
            {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool-call",
                        "toolCallId": "c1",
                        "toolName": "get",
                        "input": {"q": "x"},
                    }
                ],
            },
            {
                "role": "tool",
                "content": [
                    {
                        "type": "tool-result",
                        "toolCallId": "c1",
                        "toolName": "get",
                        "output": {"type": "json", "value": {"t": 1}},
                    }
                ],
            },
            {
                "role": "tool",
                "content": [
                    {
                        "type": "tool-result",
                        "toolCallId": "c2",
                        "toolName": "get",
                        "output": {"type": "error-text", "value": "boom"},
                    }
                ],
            },
        ]
    )
    assert messages is not None
    assert messages[0].text == "weather?"
    assert messages[1].tool_calls[0].arguments == {"q": "x"}
    assert messages[2].tool_results[0].result == {"t": 1}
    assert messages[3].tool_results[0].is_error
    assert messages[3].tool_results[0].result == "boom"


def test_anthropic_blocks_openai_responses_items_gemini_and_langchain_shapes() -> None:
    anthropic = parse_messages(
        {
            "system": "be brief",
            "messages": [
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": "t1", "name": "get", "input": {"q": "x"}}
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "t1",
                            "content": [{"type": "text", "text": "7"}],
                        }
                    ],
                },
            ],
        }
    )
    assert _summary(anthropic) == [
        (Role.SYSTEM, "be brief", []),
        (Role.ASSISTANT, None, [(PartType.TOOL_CALL, "t1", "get", {"q": "x"}, None)]),
        (Role.USER, None, [(PartType.TOOL_RESULT, "t1", None, None, 7)]),
    ]
    responses = parse_messages(
        [
            {"role": "user", "content": "hi"},
            {"type": "function_call", "call_id": "c1", "name": "get", "arguments": '{"q":"x"}'},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        ]
    )
    assert _summary(responses)[1:] == [
        (Role.ASSISTANT, None, [(PartType.TOOL_CALL, "c1", "get", {"q": "x"}, None)]),
        (Role.TOOL, None, [(PartType.TOOL_RESULT, "c1", None, None, "sunny")]),
    ]
    gemini = parse_messages(
        {
            "contents": [
                {"role": "user", "parts": [{"text": "hi"}]},
                {
                    "role": "model",
                    "parts": [{"function_call": {"name": "get", "args": {"q": "x"}}}],
                },
            ]
        }
    )
    assert _summary(gemini) == [
        (Role.USER, "hi", []),
        (Role.ASSISTANT, None, [(PartType.TOOL_CALL, None, "get", {"q": "x"}, None)]),
    ]
    langchain = parse_messages(
        [
            [
                {
                    "lc": 1,
                    "type": "constructor",
                    "id": ["langchain", "schema", "messages", "HumanMessage"],
                    "kwargs": {"content": "hi"},
                },
                {
                    "type": "ai",
                    "content": "",
                    "tool_calls": [{"name": "get", "args": {"q": "x"}, "id": "c9"}],
                },
            ]
        ]
    )
    assert _summary(langchain) == [
        (Role.USER, "hi", []),
        (Role.ASSISTANT, None, [(PartType.TOOL_CALL, "c9", "get", {"q": "x"}, None)]),
    ]


def test_response_bodies_give_output_messages() -> None:
    openai = parse_output_messages(
        '{"id": "r", "choices": [{"message": {"role": "assistant", "content": "hello"}}]}'
    )
    assert [m.text for m in openai or ()] == ["hello"]
    plain = parse_output_messages("just text")
    assert [(m.role, m.text) for m in plain or ()] == [(Role.ASSISTANT, "just text")]


def test_malformed_json_payloads_are_not_messages() -> None:
    assert parse_messages('[{"role": "user", "content": "unterminated') is None
    assert parse_messages(42) is None
    assert parse_messages({"unrelated": True}) is None


def test_input_wrappers_yield_their_text_and_unknown_objects_yield_nothing() -> None:
    assert [m.text for m in parse_input_messages('{"args": ["What is it?"]}') or ()] == [
        "What is it?"
    ]
    assert [m.text for m in parse_input_messages('"quoted json text"') or ()] == [
        "quoted json text"
    ]
    assert parse_input_messages('{"temperature": 0.2}') is None
    assert parse_input_messages("[]") == ()


def test_payload_text_prefers_messages_then_wrapper_keys() -> None:
    assert payload_text('{"messages": [{"role": "user", "content": "a"}]}', Role.USER) == "a"
    assert payload_text('{"output": "done"}', Role.ASSISTANT) == "done"
    assert payload_text('{"input": "q"}', Role.ASSISTANT) is None


def test_system_instructions_join_text_parts_and_accept_plain_text() -> None:
    assert (
        joined_text('[{"type": "text", "content": "a"}, {"type": "text", "content": "b"}]')
        == "a\nb"
    )
    assert joined_text("plain instructions") == "plain instructions"
    assert joined_text("") is None


def test_unknown_part_types_are_kept_as_other_with_their_payload() -> None:
    (message,) = (
        parse_messages([{"role": "assistant", "parts": [{"type": "hologram", "x": 1}]}]) or ()
    )
    assert message.parts[0].type is PartType.OTHER
    assert message.parts[0].data == {"type": "hologram", "x": 1}


def test_serialised_langchain_tool_message_unwraps_to_its_content_and_call_id() -> None:
    data = {"content": '{"t": 14}', "tool_call_id": "c1", "name": "get", "status": "success"}
    as_dict = json.dumps({"type": "tool", "data": data})
    constructor = {"lc": 1, "type": "constructor", "id": ["x", "ToolMessage"], "kwargs": data}
    for value in (as_dict, constructor):
        part = langchain_tool_message(value)
        assert part is not None
        assert (part.call_id, part.result, part.is_error) == ("c1", {"t": 14}, False)
    failed = langchain_tool_message({"type": "tool", "data": {**data, "status": "error"}})
    assert failed is not None and failed.is_error
    # A tool's own output that merely has a `type` key is not a ToolMessage.
    assert langchain_tool_message({"type": "tool", "content": "x"}) is None
    assert langchain_tool_message('{"city": "Paris"}') is None
    assert langchain_tool_message("plain") is None
