"""One entry point per kind of span: every convention's normaliser, merged in the
resolution order of docs/semconv.md section 10.4 (the first convention that records a field wins).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

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
from otel_replay.semconv.attributes import GenAI, General, OpenInference, Pipecat, Strands, Vercel
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


def llm_facts(span: Span, logs: Sequence[LogRecord] = ()) -> LlmFacts:
    """Everything the span (and its joined log records) says about one model call."""
    attributes = span.attributes
    events = genai.content_events(span, logs)
    return merge_llm_facts(
        (
            openinference.requested_model_facts(attributes),
            genai.attribute_facts(attributes),
            openinference.llm_facts(attributes),
            openllmetry.llm_facts(attributes),
            genai.details_event_facts(events),
            genai.message_event_facts(events),
            genai.content_event_facts(events),
            vercel.llm_facts(attributes),
            pydantic_ai.llm_facts(attributes),
            voice.livekit_llm_facts(span),
            voice.pipecat_llm_facts(span),
            langfuse.llm_facts(attributes),
            openinference.raw_io_facts(attributes),
            openllmetry.entity_io_facts(attributes),
            langsmith.llm_facts(span),
        )
    )


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
    facts = merge_llm_facts(
        [llm_facts(leaf, logs), *(llm_facts(span, span_logs) for span, span_logs in wrappers)]
    )
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


def tool_name_from_span_name(name: str) -> str | None:
    """The tool name in `execute_tool x`, `running tool: x`, `x.tool` or `tool.x`."""
    for pattern in _TOOL_NAME_PATTERNS:
        match = pattern.match(name)
        if match:
            return match.group("name").strip() or None
    return None


def tool_facts(span: Span) -> ToolFacts:
    """Everything a tool execution span says: name, call id, arguments, result, error."""
    attributes = span.attributes
    merged = merge_tool_facts(
        (
            genai.tool_facts(attributes),
            openinference.tool_facts(attributes),
            vercel.tool_facts(attributes),
            voice.livekit_tool_facts(span),
            pydantic_ai.tool_facts(attributes),
            openllmetry.tool_facts(attributes),
            langfuse.tool_facts(span),
            langsmith.tool_facts(span),
            ToolFacts(name=tool_name_from_span_name(span.name) or span.name or None),
        )
    )
    return replace(merged, error=merged.error or span_error(span))


def turn_text(span: Span) -> TurnText:
    """The user input and final answer that a root, agent or voice span records."""
    attributes = span.attributes
    return merge_turn_text(
        (
            calls.turn_text(span),
            voice.livekit_turn_text(span),
            voice.pipecat_turn_text(span),
            genai.turn_text(attributes),
            openinference.turn_text(attributes),
            openllmetry.turn_text(attributes),
            langfuse.turn_text(attributes),
            vercel.turn_text(attributes),
            pydantic_ai.turn_text(attributes),
            langsmith.turn_text(span),
        )
    )
