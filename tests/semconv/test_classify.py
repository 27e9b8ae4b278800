"""Span roles resolve in the order of docs/semconv.md section 10.3."""

from __future__ import annotations

import pytest

from otel_replay.core.records import AnyValue, Scope, Span
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.model import SpanRole
from tests.builders import make_span


def _span(name: str = "step", scope: str = "tests", **attributes: AnyValue) -> Span:
    span = make_span(1, 1, name=name, attributes=attributes)
    return Span(**{**span.__dict__, "scope": Scope(name=scope)})


@pytest.mark.parametrize(
    ("attributes", "role"),
    [
        ({"openinference.span.kind": "LLM"}, SpanRole.LLM),
        ({"fi.span.kind": "TOOL"}, SpanRole.TOOL),
        ({"gen_ai.span.kind": "AGENT"}, SpanRole.AGENT),
        ({"gen_ai.operation.name": "chat"}, SpanRole.LLM),
        ({"gen_ai.operation.name": "invoke_agent"}, SpanRole.AGENT),
        ({"gen_ai.operation.name": "execute_tool"}, SpanRole.TOOL),
        ({"gen_ai.operation.name": "embeddings"}, SpanRole.EMBEDDING),
        ({"langfuse.observation.type": "generation"}, SpanRole.LLM),
        ({"traceloop.span.kind": "workflow"}, SpanRole.CHAIN),
        ({"llm.request.type": "chat"}, SpanRole.LLM),
        ({"ai.operationId": "ai.streamText.doStream"}, SpanRole.LLM),
        ({"ai.operationId": "ai.generateText"}, SpanRole.AGENT),
        ({"ai.operationId": "ai.toolCall"}, SpanRole.TOOL),
        ({"pydantic_ai.all_messages": "[]"}, SpanRole.AGENT),
        ({"gen_ai.tool.call.id": "c1"}, SpanRole.TOOL),
        ({"gen_ai.request.model": "gpt-4o"}, SpanRole.LLM),
        ({}, SpanRole.UNKNOWN),
    ],
)
def test_role_from_attributes(attributes: dict[str, AnyValue], role: SpanRole) -> None:
    assert classify_span(_span(**attributes)) is role


def test_span_kind_wins_over_operation_name_and_model() -> None:
    span = _span(**{"openinference.span.kind": "AGENT", "gen_ai.operation.name": "chat"})
    assert classify_span(span) is SpanRole.AGENT


def test_langsmith_retriever_is_not_taken_for_embeddings() -> None:
    span = _span(**{"langsmith.span.kind": "retriever", "gen_ai.operation.name": "embeddings"})
    assert classify_span(span) is SpanRole.RETRIEVER


def test_livekit_user_turn_with_an_stt_model_stays_a_user_turn() -> None:
    span = _span("user_turn", **{"gen_ai.request.model": "nova-3"})
    assert classify_span(span) is SpanRole.USER_TURN


def test_livekit_and_otel_span_names() -> None:
    assert classify_span(_span("agent_session")) is SpanRole.VOICE_SESSION
    assert classify_span(_span("llm_node")) is SpanRole.LLM
    assert classify_span(_span("function_tool")) is SpanRole.TOOL
    assert classify_span(_span("chat gpt-4o")) is SpanRole.LLM
    assert classify_span(_span("execute_tool get_weather")) is SpanRole.TOOL
    assert classify_span(_span("running tool: lookup")) is SpanRole.TOOL
    assert classify_span(_span("invoke_agent")) is SpanRole.AGENT


def test_pipecat_generic_names_need_its_scope_or_keys() -> None:
    assert classify_span(_span("turn", scope="pipecat.turn")) is SpanRole.VOICE_TURN
    assert (
        classify_span(_span("conversation", **{"conversation.id": "c"})) is SpanRole.VOICE_SESSION
    )
    assert classify_span(_span("llm", scope="pipecat")) is SpanRole.LLM
    assert classify_span(_span("turn")) is SpanRole.UNKNOWN
    assert classify_span(_span("llm")) is SpanRole.UNKNOWN


def test_google_adk_merged_tools_summary_span_is_not_a_tool_execution() -> None:
    merged = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "(merged tools)"}
    assert classify_span(_span("execute_tool (merged)", **merged)) is SpanRole.CHAIN


def test_llama_index_private_llm_methods_are_steps_not_model_calls() -> None:
    scope = "openinference.instrumentation.llama_index"
    kind = {"openinference.span.kind": "LLM"}
    helper = _span("OpenAI._prepare_chat_with_tools", scope=scope, **kind)
    assert classify_span(helper) is SpanRole.CHAIN
    assert classify_span(_span("OpenAI.astream_chat", scope=scope, **kind)) is SpanRole.LLM
    assert classify_span(_span("Other._private", **kind)) is SpanRole.LLM
