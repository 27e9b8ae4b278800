"""Span role resolution, in the order of docs/semconv.md section 10.3."""

from __future__ import annotations

import re

from otel_replay.core.records import Span
from otel_replay.semconv.attributes import (
    GenAI,
    GoogleADK,
    Langfuse,
    LangSmith,
    LiveKit,
    OpenInference,
    OpenLLMetry,
    Pipecat,
    PydanticAI,
    TraceAI,
    Vercel,
)
from otel_replay.semconv.calls import voice_call_role
from otel_replay.semconv.model import SpanRole
from otel_replay.semconv.values import as_str

# openinference.span.kind, fi.span.kind, gen_ai.span.kind (traceAI 1.x) share one enum.
_KIND_ROLES: dict[str, SpanRole] = {
    "LLM": SpanRole.LLM,
    "AGENT": SpanRole.AGENT,
    "TOOL": SpanRole.TOOL,
    "CHAIN": SpanRole.CHAIN,
    "EMBEDDING": SpanRole.EMBEDDING,
    "RETRIEVER": SpanRole.RETRIEVER,
    "RERANKER": SpanRole.RERANKER,
    "GUARDRAIL": SpanRole.GUARDRAIL,
    "EVALUATOR": SpanRole.EVALUATOR,
    "PROMPT": SpanRole.PROMPT,
    "CONVERSATION": SpanRole.CHAIN,
    "VECTOR_DB": SpanRole.RETRIEVER,
    "A2A_CLIENT": SpanRole.AGENT,
    "A2A_SERVER": SpanRole.AGENT,
}

_OPERATION_ROLES: dict[str, SpanRole] = {
    "chat": SpanRole.LLM,
    "generate_content": SpanRole.LLM,
    "text_completion": SpanRole.LLM,
    "completion": SpanRole.LLM,
    "generate": SpanRole.LLM,
    "llm_request": SpanRole.LLM,
    "embeddings": SpanRole.EMBEDDING,
    "retrieval": SpanRole.RETRIEVER,
    "vector_db_retrieve": SpanRole.RETRIEVER,
    "rerank": SpanRole.RERANKER,
    "create_agent": SpanRole.AGENT,
    "invoke_agent": SpanRole.AGENT,
    "execute_tool": SpanRole.TOOL,
    "invoke_workflow": SpanRole.CHAIN,
    "execute_task": SpanRole.CHAIN,
    "plan": SpanRole.CHAIN,
    "stt": SpanRole.STT,
    "speech_to_text": SpanRole.STT,
    "tts": SpanRole.TTS,
    "text_to_speech": SpanRole.TTS,
}

_LANGFUSE_ROLES: dict[str, SpanRole] = {
    "generation": SpanRole.LLM,
    "agent": SpanRole.AGENT,
    "tool": SpanRole.TOOL,
    "chain": SpanRole.CHAIN,
    "embedding": SpanRole.EMBEDDING,
    "retriever": SpanRole.RETRIEVER,
    "evaluator": SpanRole.EVALUATOR,
    "guardrail": SpanRole.GUARDRAIL,
}

_TRACELOOP_ROLES: dict[str, SpanRole] = {
    "workflow": SpanRole.CHAIN,
    "task": SpanRole.CHAIN,
    "agent": SpanRole.AGENT,
    "tool": SpanRole.TOOL,
}

_LLM_REQUEST_TYPES: dict[str, SpanRole] = {
    "chat": SpanRole.LLM,
    "completion": SpanRole.LLM,
    "embedding": SpanRole.EMBEDDING,
    "rerank": SpanRole.RERANKER,
}

_LANGSMITH_ROLES: dict[str, SpanRole] = {
    "llm": SpanRole.LLM,
    "chain": SpanRole.CHAIN,
    "tool": SpanRole.TOOL,
    "retriever": SpanRole.RETRIEVER,
    "embedding": SpanRole.EMBEDDING,
    "prompt": SpanRole.PROMPT,
    "parser": SpanRole.CHAIN,
}

_LIVEKIT_NAMES: dict[str, SpanRole] = {
    LiveKit.SPAN_AGENT_SESSION: SpanRole.VOICE_SESSION,
    LiveKit.SPAN_USER_TURN: SpanRole.USER_TURN,
    LiveKit.SPAN_AGENT_TURN: SpanRole.AGENT_TURN,
    LiveKit.SPAN_LLM_NODE: SpanRole.LLM,
    LiveKit.SPAN_LLM_REQUEST: SpanRole.LLM,
    LiveKit.SPAN_FUNCTION_TOOL: SpanRole.TOOL,
    LiveKit.SPAN_TTS_NODE: SpanRole.TTS,
    LiveKit.SPAN_TTS_REQUEST: SpanRole.TTS,
}

_PIPECAT_NAMES: dict[str, SpanRole] = {
    Pipecat.SPAN_STT: SpanRole.STT,
    Pipecat.SPAN_LLM: SpanRole.LLM,
    Pipecat.SPAN_TTS: SpanRole.TTS,
}

# OTel span names `{operation} {target}`, pydantic-ai v2 names, and OTel 1.26 client names.
_NAME_PATTERNS: tuple[tuple[re.Pattern[str], SpanRole], ...] = (
    (re.compile(r"^(chat|text_completion|generate_content)( |$)"), SpanRole.LLM),
    (re.compile(r"^embeddings( |$)"), SpanRole.EMBEDDING),
    (re.compile(r"^(invoke_agent|create_agent)( |$)|^agent run$"), SpanRole.AGENT),
    (re.compile(r"^(execute_tool( |$)|running tool)"), SpanRole.TOOL),
)

_MODEL_KEYS = (
    GenAI.REQUEST_MODEL,
    GenAI.RESPONSE_MODEL,
    OpenInference.MODEL_NAME,
    Vercel.MODEL_ID,
    Langfuse.MODEL_NAME,
)


def classify_span(span: Span) -> SpanRole:
    """The role of one span; UNKNOWN when no convention says."""
    attributes = span.attributes
    for key in (OpenInference.SPAN_KIND, TraceAI.FI_SPAN_KIND, TraceAI.SPAN_KIND):
        kind = as_str(attributes.get(key))
        if kind is not None and kind.upper() in _KIND_ROLES:
            role = _KIND_ROLES[kind.upper()]
            if role is SpanRole.LLM and _is_llama_index_helper(span):
                return SpanRole.CHAIN
            return role
    # LangSmith also writes gen_ai.operation.name, but maps retrievers to "embeddings";
    # its own run type is exact, so it goes first.
    run_type = as_str(attributes.get(LangSmith.SPAN_KIND))
    if run_type is not None and run_type.lower() in _LANGSMITH_ROLES:
        return _LANGSMITH_ROLES[run_type.lower()]
    operation = as_str(attributes.get(GenAI.OPERATION_NAME))
    if operation is not None and operation.lower() in _OPERATION_ROLES:
        if as_str(attributes.get(GenAI.TOOL_NAME)) == GoogleADK.MERGED_TOOLS:
            # Google ADK's summary of parallel calls that ran as spans of their own.
            return SpanRole.CHAIN
        return _OPERATION_ROLES[operation.lower()]
    observation = as_str(attributes.get(Langfuse.OBSERVATION_TYPE))
    if observation is not None and observation.lower() in _LANGFUSE_ROLES:
        return _LANGFUSE_ROLES[observation.lower()]
    traceloop = as_str(attributes.get(OpenLLMetry.SPAN_KIND))
    if traceloop is not None and traceloop.lower() in _TRACELOOP_ROLES:
        return _TRACELOOP_ROLES[traceloop.lower()]
    request_type = as_str(attributes.get(OpenLLMetry.REQUEST_TYPE))
    if request_type is not None and request_type.lower() in _LLM_REQUEST_TYPES:
        return _LLM_REQUEST_TYPES[request_type.lower()]
    operation_id = as_str(attributes.get(Vercel.OPERATION_ID))
    if operation_id is not None:
        return _vercel_role(operation_id)
    by_name = _role_by_name(span)
    if by_name is not None:
        return by_name
    if PydanticAI.ALL_MESSAGES in attributes or PydanticAI.AGENT_NAME in attributes:
        return SpanRole.AGENT
    if GenAI.TOOL_NAME in attributes or GenAI.TOOL_CALL_ID in attributes:
        return SpanRole.TOOL
    if any(as_str(attributes.get(key)) for key in _MODEL_KEYS):
        return SpanRole.LLM
    return voice_call_role(span)


def _is_llama_index_helper(span: Span) -> bool:
    """LlamaIndex's instrumentor marks every method of an LLM class as an LLM span; a private
    one (`OpenAI._prepare_chat_with_tools`) builds the request and calls no model."""
    if span.scope.name != OpenInference.LLAMA_INDEX_SCOPE:
        return False
    _, _, method = span.name.rpartition(".")
    return method.startswith("_")


def _vercel_role(operation_id: str) -> SpanRole:
    if operation_id.endswith((".doGenerate", ".doStream")):
        return SpanRole.LLM
    if operation_id == "ai.toolCall":
        return SpanRole.TOOL
    if operation_id.startswith("ai.embed"):
        return SpanRole.EMBEDDING
    # ai.generateText, ai.streamText, ai.generateObject...: the multi-step operation.
    return SpanRole.AGENT


def _role_by_name(span: Span) -> SpanRole | None:
    name = span.name
    if name in _LIVEKIT_NAMES:
        return _LIVEKIT_NAMES[name]
    attributes = span.attributes
    # Pipecat's own span names are generic words; require its keys or tracer scope.
    is_pipecat = span.scope.name.startswith("pipecat") or Pipecat.CONVERSATION_ID in attributes
    if name == Pipecat.SPAN_CONVERSATION and is_pipecat:
        return SpanRole.VOICE_SESSION
    if name == Pipecat.SPAN_TURN and (is_pipecat or Pipecat.TURN_NUMBER in attributes):
        return SpanRole.VOICE_TURN
    if name in _PIPECAT_NAMES and span.scope.name.startswith("pipecat"):
        return _PIPECAT_NAMES[name]
    for pattern, role in _NAME_PATTERNS:
        if pattern.search(name):
            return role
    return None


def is_voice_turn_role(role: SpanRole) -> bool:
    """Whether the role marks a voice turn span (Pipecat turn, LiveKit user/agent turn)."""
    return role in (SpanRole.VOICE_TURN, SpanRole.USER_TURN, SpanRole.AGENT_TURN)
