"""One entry point per kind of span: every convention's normaliser, merged in the
resolution order of docs/semconv.md section 10.4 (the first convention that records a field wins).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from otel_replay.core.records import LogRecord, Span, StatusCode
from otel_replay.semconv import (
    calls,
    genai,
    langfuse,
    langsmith,
    openinference,
    openllmetry,
    pydantic_ai,
    vercel,
    voice,
)
from otel_replay.semconv.attributes import (
    GenAI,
    General,
    OpenInference,
    OpenLLMetry,
    Pipecat,
    PydanticAI,
    Strands,
    TraceAI,
    Vercel,
    VoiceCall,
)
from otel_replay.semconv.dispatch import EVERY_SPAN, Reader, Readers, SpanView, reads
from otel_replay.semconv.facts import (
    LlmFacts,
    ToolFacts,
    TurnText,
    merge_llm_facts,
    merge_tool_facts,
    merge_turn_text,
)
from otel_replay.semconv.messages import system_text
from otel_replay.semconv.model import FinishReason, LlmCall, Usage
from otel_replay.semconv.values import as_float, as_str, normalise_finish

# Span-name spellings of a tool span, when no attribute names the tool.
_TOOL_NAME_PATTERNS = (
    re.compile(r"^execute_tool (?P<name>.+)$"),
    re.compile(r"^running tool:? (?P<name>.+)$"),
    re.compile(r"^(?P<name>[^ ]+)\.tool$"),
    re.compile(r"^tool\.(?P<name>[^ ]+)$"),
)


# Every table below is in the resolution order of docs/semconv.md section 10.4 (the first
# reader that records a field wins); a convention adds its reader with one line.
LLM_READERS = Readers[LlmFacts](
    Reader(
        reads(keys=(OpenInference.INVOCATION_PARAMETERS, TraceAI.REQUEST_PARAMETERS)),
        lambda v: openinference.requested_model_facts(v.attributes),
    ),
    Reader(reads("gen_ai"), lambda v: genai.attribute_facts(v.attributes)),
    Reader(
        reads(
            "llm",
            keys=(
                TraceAI.REQUEST_PARAMETERS,
                TraceAI.USAGE_CACHE_READ,
                TraceAI.USAGE_CACHE_WRITE,
                TraceAI.USAGE_REASONING,
            ),
            # traceAI 1.x flattened messages (the unflattened keys are genai's).
            prefixes=(GenAI.INPUT_MESSAGES + ".", GenAI.OUTPUT_MESSAGES + "."),
        ),
        lambda v: openinference.llm_facts(v.attributes),
    ),
    Reader(
        reads("llm", prefixes=(GenAI.PROMPT + ".", GenAI.COMPLETION + ".")),
        lambda v: openllmetry.llm_facts(v.attributes),
    ),
    Reader(reads(events=True), lambda v: genai.details_event_facts(v.events)),
    Reader(reads(events=True), lambda v: genai.message_event_facts(v.events)),
    Reader(reads(events=True), lambda v: genai.content_event_facts(v.events)),
    Reader(reads("ai"), lambda v: vercel.llm_facts(v.attributes)),
    Reader(reads(keys=(PydanticAI.EVENTS,)), lambda v: pydantic_ai.llm_facts(v.attributes)),
    Reader(reads("lk", scopes=("livekit",)), lambda v: voice.livekit_llm_facts(v.span)),
    Reader(reads(when=voice.is_pipecat), lambda v: voice.pipecat_llm_facts(v.span)),
    Reader(reads("langfuse"), lambda v: langfuse.llm_facts(v.attributes)),
    Reader(
        reads(
            keys=(
                OpenInference.INPUT_VALUE,
                OpenInference.OUTPUT_VALUE,
                TraceAI.RAW_INPUT,
                TraceAI.RAW_OUTPUT,
            )
        ),
        lambda v: openinference.raw_io_facts(v.attributes),
    ),
    Reader(
        reads(keys=(OpenLLMetry.ENTITY_INPUT, OpenLLMetry.ENTITY_OUTPUT)),
        lambda v: openllmetry.entity_io_facts(v.attributes),
    ),
    Reader(reads("langsmith", scopes=("langsmith",)), lambda v: langsmith.llm_facts(v.span)),
)

TOOL_READERS = Readers[ToolFacts](
    Reader(reads(prefixes=("gen_ai.tool.",)), lambda v: genai.tool_facts(v.attributes)),
    Reader(
        # Also reads gen_ai.tool.name, as a fallback of tool.name: the GenAI reader above
        # reads it first, so a span with nothing else of OpenInference's is left out.
        reads(
            "tool",
            "tool_call",
            keys=(OpenInference.INPUT_VALUE, OpenInference.OUTPUT_VALUE, TraceAI.TOOL_PARAMETERS),
        ),
        lambda v: openinference.tool_facts(v.attributes),
    ),
    Reader(reads("ai"), lambda v: vercel.tool_facts(v.attributes)),
    Reader(reads("lk"), lambda v: voice.livekit_tool_facts(v.span)),
    Reader(
        reads(keys=(PydanticAI.TOOL_ARGUMENTS, PydanticAI.TOOL_RESPONSE)),
        lambda v: pydantic_ai.tool_facts(v.attributes),
    ),
    Reader(reads("traceloop"), lambda v: openllmetry.tool_facts(v.attributes)),
    Reader(reads("langfuse"), lambda v: langfuse.tool_facts(v.span)),
    Reader(reads("langsmith", scopes=("langsmith",)), lambda v: langsmith.tool_facts(v.span)),
    Reader(EVERY_SPAN, lambda v: _tool_name_facts(v.span)),
)

TURN_TEXT_READERS = Readers[TurnText](
    Reader(
        reads(keys=(VoiceCall.TURN_INDEX, VoiceCall.GREETING_TEXT)),
        lambda v: calls.turn_text(v.span),
    ),
    Reader(reads("lk"), lambda v: voice.livekit_turn_text(v.span)),
    Reader(reads(when=voice.is_pipecat), lambda v: voice.pipecat_turn_text(v.span)),
    Reader(
        reads(keys=(GenAI.INPUT_MESSAGES, GenAI.OUTPUT_MESSAGES)),
        lambda v: genai.turn_text(v.attributes),
    ),
    Reader(
        reads(keys=(OpenInference.INPUT_VALUE, OpenInference.OUTPUT_VALUE)),
        lambda v: openinference.turn_text(v.attributes),
    ),
    Reader(
        reads(keys=(OpenLLMetry.ENTITY_INPUT, OpenLLMetry.ENTITY_OUTPUT)),
        lambda v: openllmetry.turn_text(v.attributes),
    ),
    Reader(reads("langfuse"), lambda v: langfuse.turn_text(v.attributes)),
    Reader(reads("ai"), lambda v: vercel.turn_text(v.attributes)),
    Reader(
        reads(
            keys=(PydanticAI.ALL_MESSAGES, PydanticAI.ALL_MESSAGES_EVENTS, PydanticAI.FINAL_RESULT)
        ),
        lambda v: pydantic_ai.turn_text(v.attributes),
    ),
    Reader(reads("langsmith", scopes=("langsmith",)), lambda v: langsmith.turn_text(v.span)),
)


def llm_facts(span: Span, logs: Sequence[LogRecord] = ()) -> LlmFacts:
    """Everything the span (and its joined log records) says about one model call."""
    return merge_llm_facts(LLM_READERS.read(SpanView(span, logs)))


def span_error(span: Span) -> str | None:
    """The error a span reports: its status message, or its exception event."""
    for event in span.events:
        if event.name == General.EXCEPTION_EVENT:
            message = as_str(event.attributes.get(General.EXCEPTION_MESSAGE)) or as_str(
                event.attributes.get(General.EXCEPTION_TYPE)
            )
            if span.status_code is StatusCode.ERROR or message:
                return span.status_message or message or "exception"
    if span.status_code is StatusCode.ERROR:
        return span.status_message or "error status"
    return None


def build_llm_call(
    leaf: Span,
    logs: Sequence[LogRecord] = (),
    wrappers: Sequence[tuple[Span, Sequence[LogRecord]]] = (),
) -> LlmCall:
    """One `LlmCall` from a leaf model-call span; `wrappers` (nearest first) fill its gaps."""
    # One merge over the leaf's facts, then each wrapper's: the first that records a field
    # wins, as if each span's facts were merged first.
    said = LLM_READERS.read(SpanView(leaf, logs))
    for span, span_logs in wrappers:
        said.extend(LLM_READERS.read(SpanView(span, span_logs)))
    facts = merge_llm_facts(said)
    notes: list[str] = []
    if facts.input_messages is None:
        notes.append("no input messages recorded")
    if facts.output_messages is None:
        notes.append("no output recorded")
    finish = normalise_finish(facts.finish_raw)
    outputs = facts.output_messages or ()
    if finish is FinishReason.STOP and any(m.tool_calls for m in outputs):
        # Some producers record `stop` for an answer that asks for tools (OpenAI Agents SDK,
        # Google ADK): the answer's tool calls say why it stopped. `finish_raw` keeps the
        # recorded value (docs/semconv.md section 10.10).
        finish = FinishReason.TOOL_CALL
    error = span_error(leaf)
    if error is None and finish is FinishReason.ERROR:
        error = f"finish reason {facts.finish_raw}"
    return LlmCall(
        trace_id=leaf.trace_id,
        span_id=leaf.span_id,
        name=leaf.name,
        start_unix_nano=leaf.start_time_unix_nano,
        end_unix_nano=leaf.end_time_unix_nano,
        provider=facts.provider,
        request_model=facts.request_model,
        response_model=facts.response_model,
        parameters=dict(facts.parameters or {}),
        # Sent apart from the history when a convention has a key for it, else in it.
        system_instructions=facts.system_instructions or system_text(facts.input_messages or ()),
        input_messages=facts.input_messages or (),
        output_messages=outputs,
        usage=facts.usage or Usage(),
        finish=finish,
        finish_raw=facts.finish_raw,
        response_id=facts.response_id,
        tool_definitions=facts.tool_definitions or (),
        error=error,
        source_span_ids=(leaf.span_id, *(span.span_id for span, _ in wrappers)),
        notes=tuple(notes),
        time_to_first_token_unix_nano=time_to_first_token(leaf, *(span for span, _ in wrappers)),
    )


# (key, nanoseconds per unit) of the conventions that record time to first token.
_FIRST_TOKEN_KEYS: tuple[tuple[str, float], ...] = (
    (GenAI.RESPONSE_TIME_TO_FIRST_CHUNK, 1e9),
    (GenAI.CLIENT_TIME_TO_FIRST_CHUNK, 1e9),
    (Vercel.MS_TO_FIRST_CHUNK, 1e6),
    (Pipecat.METRICS_TTFB, 1e9),
    (Strands.SERVER_TIME_TO_FIRST_TOKEN_MS, 1e6),
)


def time_to_first_token(*spans: Span) -> int | None:
    """Time to the first chunk of a streamed answer, in nanoseconds, from the first span
    that records it; None when none does (non-streamed calls).

    A span records it as a duration attribute (numbers sent as strings too), or, in
    OpenInference, as the time of its "First Token Stream Event" after the span's start.
    """
    for span in spans:
        for key, scale in _FIRST_TOKEN_KEYS:
            value = as_float(span.attributes.get(key))
            if value is not None and value >= 0:
                return round(value * scale)
        for event in span.events:
            if event.name == OpenInference.EVENT_FIRST_TOKEN:
                elapsed = event.time_unix_nano - span.start_time_unix_nano
                if elapsed >= 0:
                    return elapsed
    return None


# Span names repeat (one per tool, operation or step): each is matched once.
@lru_cache(maxsize=4096)
def tool_name_from_span_name(name: str) -> str | None:
    """The tool name in `execute_tool x`, `running tool: x`, `x.tool` or `tool.x`."""
    for pattern in _TOOL_NAME_PATTERNS:
        match = pattern.match(name)
        if match:
            return match.group("name").strip() or None
    return None


def _tool_name_facts(span: Span) -> ToolFacts:
    return ToolFacts(name=tool_name_from_span_name(span.name) or span.name or None)


def tool_facts(span: Span) -> ToolFacts:
    """Everything a tool execution span says: name, call id, arguments, result, error."""
    merged = merge_tool_facts(TOOL_READERS.read(SpanView(span)))
    error = merged.error or span_error(span)
    # Most tool spans report no error: the merged facts stand as they are.
    return merged if error is merged.error else replace(merged, error=error)


def turn_text(span: Span) -> TurnText:
    """The user input and final answer that a root, agent or voice span records."""
    return merge_turn_text(TURN_TEXT_READERS.read(SpanView(span)))
