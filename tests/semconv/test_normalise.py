"""Per-span normalisation: each convention's keys, the resolution order, and degradation."""

from __future__ import annotations

import json

from otel_replay.core.records import AnyValue, LogRecord, Scope, Span, SpanEvent, StatusCode
from otel_replay.semconv.model import FinishReason, PartType, Role
from otel_replay.semconv.normalise import build_llm_call, span_error, tool_facts, turn_text
from tests.builders import make_span

OUT_CALL = "llm.output_messages.0.message.tool_calls.0.tool_call."
USER_Q = '[{"role": "user", "parts": [{"type": "text", "content": "q"}]}]'


def _span(name: str = "call", scope: str = "tests", **attributes: AnyValue) -> Span:
    span = make_span(1, 2, 1, name=name, attributes=attributes)
    return Span(**{**span.__dict__, "scope": Scope(name=scope)})


def _texts(call_messages: tuple[object, ...]) -> list[tuple[Role, str | None]]:
    return [(m.role, m.text) for m in call_messages]  # type: ignore[attr-defined]


def test_traceai_flattened_gen_ai_messages_with_gaps_keep_their_order() -> None:
    call = build_llm_call(
        _span(
            **{
                "gen_ai.span.kind": "LLM",
                "gen_ai.input.messages.0.message.role": "system",
                "gen_ai.input.messages.0.message.content": "be brief",
                "gen_ai.input.messages.3.message.role": "user",
                "gen_ai.input.messages.3.message.content": "second",
                "gen_ai.input.messages.1.message.role": "user",
                "gen_ai.input.messages.1.message.content": "first",
                "gen_ai.output.messages.0.message.role": "assistant",
                "gen_ai.output.messages.0.message.content": "ok",
            }
        )
    )
    assert _texts(call.input_messages) == [
        (Role.SYSTEM, "be brief"),
        (Role.USER, "first"),
        (Role.USER, "second"),
    ]
    assert call.output_text == "ok"
    assert call.system_instructions == "be brief"


def test_openinference_ordered_contents_and_tool_calls_in_flattened_output() -> None:
    call = build_llm_call(
        _span(
            **{
                "openinference.span.kind": "LLM",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.contents.0.message_content.type": "text",
                "llm.output_messages.0.message.contents.0.message_content.text": "checking",
                OUT_CALL + "id": "c1",
                OUT_CALL + "function.name": "get",
                OUT_CALL + "function.arguments": '{"q":1}',
            }
        )
    )
    assert call.output_text == "checking"
    (request,) = call.requested_tool_calls
    assert (request.call_id, request.name, request.arguments) == ("c1", "get", {"q": 1})


def test_malformed_message_json_falls_back_to_the_next_convention() -> None:
    call = build_llm_call(
        _span(
            **{
                "gen_ai.operation.name": "chat",
                "gen_ai.input.messages": '[{"role": "user", "parts": [',
                "input.value": '{"messages": [{"role": "user", "content": "from raw"}]}',
            }
        )
    )
    assert _texts(call.input_messages) == [(Role.USER, "from raw")]
    assert "no output recorded" in call.notes


def test_malformed_message_json_alone_gives_an_empty_call_with_notes() -> None:
    call = build_llm_call(
        _span(**{"gen_ai.input.messages": "{not json", "gen_ai.usage.input_tokens": 5})
    )
    assert call.input_messages == ()
    assert call.usage.input_tokens == 5
    assert call.notes == ("no input messages recorded", "no output recorded")


def test_v1_28_message_events_as_span_events() -> None:
    span = make_span(1, 2, 1, name="chat gpt-4o", attributes={"gen_ai.operation.name": "chat"})
    span = Span(
        **{
            **span.__dict__,
            "events": (
                SpanEvent("gen_ai.user.message", 1, {"content": "hi"}),
                SpanEvent(
                    "gen_ai.choice",
                    2,
                    {"index": 0, "finish_reason": "stop", "message": '{"content": "hello"}'},
                ),
            ),
        }
    )
    call = build_llm_call(span)
    assert _texts(call.input_messages) == [(Role.USER, "hi")]
    assert call.output_text == "hello"
    assert call.finish is FinishReason.STOP


def test_log_records_named_by_the_event_name_attribute_join_their_span() -> None:
    span = _span(**{"gen_ai.operation.name": "chat"})
    logs = [
        LogRecord(
            time_unix_nano=2,
            trace_id=span.trace_id,
            span_id=span.span_id,
            attributes={"event.name": "gen_ai.choice"},
            body={"index": 0, "message": {"content": "second"}},
        ),
        LogRecord(
            time_unix_nano=1,
            trace_id=span.trace_id,
            span_id=span.span_id,
            attributes={"event.name": "gen_ai.user.message"},
            body={"content": "first"},
        ),
    ]
    call = build_llm_call(span, logs)
    assert _texts(call.input_messages) == [(Role.USER, "first")]
    assert call.output_text == "second"


def test_operation_details_event_carries_v1_37_message_attributes() -> None:
    span = _span(**{"gen_ai.operation.name": "chat"})
    details = LogRecord(
        event_name="gen_ai.client.inference.operation.details",
        trace_id=span.trace_id,
        span_id=span.span_id,
        attributes={
            "gen_ai.input.messages": [
                {"role": "user", "parts": [{"type": "text", "content": "q"}]}
            ],
            "gen_ai.output.messages": [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "a"}],
                    "finish_reason": "length",
                }
            ],
        },
    )
    call = build_llm_call(span, [details])
    assert _texts(call.input_messages) == [(Role.USER, "q")]
    assert call.output_text == "a"
    assert call.finish is FinishReason.LENGTH


def test_livekit_1_7_pii_keys_are_read_like_the_old_ones() -> None:
    node = _span(
        "llm_node",
        scope="livekit-agents",
        **{
            "lk.pii.chat_ctx": json.dumps(
                {"items": [{"type": "message", "role": "user", "content": ["hi"]}]}
            ),
            "lk.pii.response.text": "hello",
            "lk.pii.response.function_calls": json.dumps(
                [{"id": "item_1", "call_id": "c1", "name": "get", "arguments": "{}"}]
            ),
        },
    )
    call = build_llm_call(node)
    assert _texts(call.input_messages) == [(Role.USER, "hi")]
    assert call.output_text == "hello"
    assert call.requested_tool_calls[0].call_id == "c1"


def test_wrapper_span_content_fills_the_leaf_calls_gaps() -> None:
    leaf = _span("llm_request", **{"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 9})
    node = make_span(1, 1, name="llm_node", attributes={"lk.response.text": "hello"})
    call = build_llm_call(leaf, (), [(node, ())])
    assert call.output_text == "hello"
    assert call.usage.input_tokens == 9
    assert call.source_span_ids == (leaf.span_id, node.span_id)


def test_ai_sdk_v4_tool_calls_use_args() -> None:
    call = build_llm_call(
        _span(
            **{
                "ai.operationId": "ai.generateText.doGenerate",
                "ai.response.toolCalls": '[{"toolCallType": "function", "toolCallId": "c1",'
                ' "toolName": "get", "args": "{\\"q\\": 2}"}]',
                "ai.response.finishReason": "tool-calls",
            }
        )
    )
    (request,) = call.requested_tool_calls
    assert (request.call_id, request.name, request.arguments) == ("c1", "get", {"q": 2})
    assert call.finish is FinishReason.TOOL_CALL
    assert call.finish_raw == "tool-calls"


def test_langsmith_exact_prompt_key_is_run_io_not_flattened_messages() -> None:
    call = build_llm_call(
        _span(
            **{
                "langsmith.span.kind": "llm",
                "gen_ai.prompt": '{"messages": [[{"type": "human", "content": "hi"}]]}',
                "gen_ai.completion": '{"generations": [[{"text": "hello"}]]}',
                "gen_ai.response.finish_reasons": "stop",
            }
        )
    )
    assert _texts(call.input_messages) == [(Role.USER, "hi")]
    assert call.output_text == "hello"
    assert call.finish is FinishReason.STOP


def test_legacy_openllmetry_flattened_prompt_and_completion() -> None:
    call = build_llm_call(
        _span(
            **{
                "llm.request.type": "chat",
                "gen_ai.prompt.0.role": "user",
                "gen_ai.prompt.0.content": "hi",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.content": "yo",
                "gen_ai.completion.0.finish_reason": "length",
                "gen_ai.usage.prompt_tokens": "12",
            }
        )
    )
    assert _texts(call.input_messages) == [(Role.USER, "hi")]
    assert call.output_text == "yo"
    assert call.finish is FinishReason.LENGTH
    assert call.usage.input_tokens == 12


def test_openinference_tool_parameters_are_arguments_only_when_not_a_schema() -> None:
    schema = _span(
        **{
            "openinference.span.kind": "TOOL",
            "tool.name": "get",
            "tool.parameters": '{"type": "object", "properties": {}}',
        }
    )
    actual = _span(
        **{
            "openinference.span.kind": "TOOL",
            "tool.name": "get",
            "tool.parameters": '{"city": "Oslo"}',
        }
    )
    assert tool_facts(schema).arguments is None
    assert tool_facts(actual).arguments == {"city": "Oslo"}


def test_tool_name_comes_from_the_span_name_when_no_attribute_says() -> None:
    assert tool_facts(_span("execute_tool lookup")).name == "lookup"
    assert tool_facts(_span("search.tool")).name == "search"
    assert tool_facts(_span("get_weather")).name == "get_weather"


def test_openllmetry_decorator_input_unwraps_kwargs() -> None:
    facts = tool_facts(
        _span(
            **{
                "traceloop.span.kind": "tool",
                "traceloop.entity.name": "get",
                "traceloop.entity.input": '{"args": [], "kwargs": {"q": 1}}',
                "traceloop.entity.output": "[1, 2]",
            }
        )
    )
    assert (facts.name, facts.arguments, facts.result) == ("get", {"q": 1}, [1, 2])


def test_livekit_tool_error_flag_becomes_the_error() -> None:
    facts = tool_facts(
        _span(
            "function_tool",
            **{
                "lk.function_tool.name": "get",
                "lk.function_tool.output": "city unknown",
                "lk.function_tool.is_error": True,
            },
        )
    )
    assert facts.error == "city unknown"


def test_span_error_reads_status_then_exception_event() -> None:
    failed = Span(**{**_span().__dict__, "status_code": StatusCode.ERROR, "status_message": ""})
    assert span_error(failed) == "error status"
    raised = Span(
        **{
            **_span().__dict__,
            "events": (SpanEvent("exception", 1, {"exception.message": "timeout"}),),
        }
    )
    assert span_error(raised) == "timeout"
    assert span_error(_span()) is None


def test_turn_text_of_root_spans_per_convention() -> None:
    assert turn_text(_span(**{"input.value": "q", "output.value": "a"})).user_text == "q"
    assert (
        turn_text(_span(**{"traceloop.entity.input": '{"args": ["q"], "kwargs": {}}'})).user_text
        == "q"
    )
    assert (
        turn_text(_span(**{"ai.prompt": '{"prompt": "q"}', "ai.response.text": "a"})).assistant_text
        == "a"
    )
    assert (
        turn_text(
            _span(
                **{
                    "final_result": "a",
                    "pydantic_ai.all_messages": USER_Q,
                }
            )
        ).user_text
        == "q"
    )
    assert turn_text(_span("user_turn", **{"lk.user_transcript": "q"})).user_text == "q"


def test_parts_of_unknown_type_do_not_break_a_call() -> None:
    call = build_llm_call(
        _span(
            **{
                "gen_ai.operation.name": "chat",
                "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "x-new"}]}]',
            }
        )
    )
    assert call.output_messages[0].parts[0].type is PartType.OTHER
    assert call.output_text is None


def test_pydantic_ai_v1_events_attribute_holds_the_messages() -> None:
    events = [
        {"event.name": "gen_ai.system.message", "content": "be brief", "gen_ai.message.index": 0},
        {"event.name": "gen_ai.user.message", "content": "q", "gen_ai.message.index": 1},
        {
            "event.name": "gen_ai.choice",
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "a"},
        },
    ]
    call = build_llm_call(_span("chat gpt-4o", events=json.dumps(events)))
    assert _texts(call.input_messages) == [(Role.SYSTEM, "be brief"), (Role.USER, "q")]
    assert call.output_text == "a"
    assert call.system_instructions == "be brief"


def test_traceai_1_usage_detail_keys() -> None:
    call = build_llm_call(
        _span(
            **{
                "gen_ai.span.kind": "LLM",
                "gen_ai.usage.input_tokens": 10,
                "gen_ai.usage.input_tokens.cache_read": 4,
                "gen_ai.usage.output_tokens.reasoning": 2,
            }
        )
    )
    assert (
        call.usage.input_tokens,
        call.usage.cache_read_input_tokens,
        call.usage.reasoning_output_tokens,
    ) == (10, 4, 2)


def test_openinference_model_name_is_the_response_model_only_beside_a_requested_model() -> None:
    def models(**attributes: AnyValue) -> tuple[str | None, str | None]:
        call = build_llm_call(_span(**{"openinference.span.kind": "LLM", **attributes}))
        return call.request_model, call.response_model

    dated = {"llm.model_name": "m-2024"}
    # OpenAI / LangChain instrumentors: the request's `model` beside the response's model.
    assert models(**dated, **{"llm.invocation_parameters": '{"model": "m"}'}) == ("m", "m-2024")
    # GenAI mode copies llm.model_name into gen_ai.request.model: the request's own wins.
    genai = {"gen_ai.request.model": "m-2024", "gen_ai.response.model": "m-2024"}
    both = {**dated, **genai, "llm.invocation_parameters": '{"model": "m"}'}
    assert models(**both) == ("m", "m-2024")
    # Agents SDK, LlamaIndex: no requested model, so llm.model_name is the configured one.
    assert models(**{"llm.model_name": "m"}) == ("m", None)
    assert models(
        **{"llm.model_name": "m", "llm.invocation_parameters": '{"model_name": "m"}'}
    ) == (
        "m",
        None,
    )


def test_an_answer_with_tool_calls_recorded_as_stop_finishes_for_its_tool_calls() -> None:
    asks = [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get"}]}]
    said = [{"role": "assistant", "parts": [{"type": "text", "content": "done"}]}]
    for outputs, finish in ((asks, FinishReason.TOOL_CALL), (said, FinishReason.STOP)):
        call = build_llm_call(
            _span(
                **{
                    "gen_ai.operation.name": "chat",
                    "gen_ai.response.finish_reasons": ["stop"],
                    "gen_ai.output.messages": json.dumps(outputs),
                }
            )
        )
        assert (call.finish, call.finish_raw) == (finish, "stop")


def test_llama_index_tool_output_unwraps_to_the_tools_own_return_value() -> None:
    def result_of(output: dict[str, AnyValue]) -> tuple[AnyValue, str | None]:
        tool = _span(
            **{
                "openinference.span.kind": "TOOL",
                "tool.name": "get",
                "output.value": json.dumps({"tool_name": "get", "raw_input": {}, **output}),
            }
        )
        facts = tool_facts(tool)
        return facts.result, facts.error

    text = '{"t": 14}'
    blocks = {"blocks": [{"text": text}], "is_error": False}
    assert result_of({**blocks, "raw_output": text}) == ({"t": 14}, None)
    assert result_of({**blocks, "raw_output": None}) == ({"t": 14}, None)
    assert result_of({"content": "boom", "raw_output": "boom", "is_error": True}) == (
        "boom",
        "boom",
    )
    # A tool's own dict output is kept as it is.
    assert result_of({"raw_output": 1}) == (
        {"tool_name": "get", "raw_input": {}, "raw_output": 1},
        None,
    )


def test_strands_span_events_hold_bedrock_content_blocks() -> None:
    use = {"toolUseId": "c1", "name": "get", "input": {"city": "Paris"}}
    answer = {"toolUseId": "c1", "status": "success", "content": [{"text": '{"t": 14}'}]}
    span = make_span(1, 2, 1, name="chat", attributes={"gen_ai.operation.name": "chat"})
    span = Span(
        **{
            **span.__dict__,
            "events": (
                SpanEvent("gen_ai.user.message", 1, {"content": '[{"text": "weather?"}]'}),
                SpanEvent(
                    "gen_ai.assistant.message", 2, {"content": json.dumps([{"toolUse": use}])}
                ),
                SpanEvent(
                    "gen_ai.tool.message", 3, {"content": json.dumps([{"toolResult": answer}])}
                ),
                SpanEvent(
                    "gen_ai.choice", 4, {"finish_reason": "end_turn", "message": '[{"text": "14"}]'}
                ),
            ),
        }
    )
    call = build_llm_call(span)
    user, asked, results = call.input_messages
    assert (user.role, user.text) == (Role.USER, "weather?")
    assert [(p.call_id, p.name, p.arguments) for p in asked.tool_calls] == [
        ("c1", "get", {"city": "Paris"})
    ]
    assert [(p.call_id, p.result, p.is_error) for p in results.tool_results] == [
        ("c1", {"t": 14}, False)
    ]
    assert (call.output_text, call.finish) == ("14", FinishReason.STOP)
    # The agent span's choice is the answer's plain text.
    plain = Span(
        **{**span.__dict__, "events": (SpanEvent("gen_ai.choice", 1, {"message": "14\n"}),)}
    )
    assert build_llm_call(plain).output_text == "14\n"
