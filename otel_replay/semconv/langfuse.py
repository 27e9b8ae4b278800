"""Langfuse SDK v3/v4 attributes (`langfuse.observation.*`, `langfuse.trace.*`).

Inputs and outputs are app-defined JSON; for generations they are usually OpenAI-style
message arrays (or one assistant message object), which the message sniffer reads.
"""

from __future__ import annotations

from otel_replay.core.records import Attributes, Span
from otel_replay.semconv.attributes import Langfuse
from otel_replay.semconv.facts import LlmFacts, ToolFacts, TurnText
from otel_replay.semconv.messages import (
    parse_input_messages,
    parse_output_messages,
    payload_text,
    system_text,
)
from otel_replay.semconv.model import Role, Usage
from otel_replay.semconv.values import as_str, first_int, first_str, json_object, parse_json

# usage_details keys are free-form; these are the SDK's and the OpenAI-style ones.
_INPUT_KEYS = ("input", "prompt_tokens", "input_tokens", "promptTokens")
_OUTPUT_KEYS = ("output", "completion_tokens", "output_tokens", "completionTokens")


def _usage(attributes: Attributes) -> Usage | None:
    details = json_object(attributes.get(Langfuse.USAGE_DETAILS))
    if details is None:
        return None
    usage = Usage(
        input_tokens=first_int(details, *_INPUT_KEYS),
        output_tokens=first_int(details, *_OUTPUT_KEYS),
        total_tokens=first_int(details, "total", "total_tokens"),
        cache_read_input_tokens=first_int(details, "input_cache_read", "cache_read_input_tokens"),
        reasoning_output_tokens=first_int(details, "output_reasoning", "reasoning_tokens"),
    )
    return None if usage == Usage() else usage


def llm_facts(attributes: Attributes) -> LlmFacts:
    """A `generation` observation."""
    input_value = attributes.get(Langfuse.OBSERVATION_INPUT)
    output_value = attributes.get(Langfuse.OBSERVATION_OUTPUT)
    inputs = parse_input_messages(input_value) if input_value is not None else None
    return LlmFacts(
        # The SDK records one model name: what the provider answered with, when known.
        response_model=first_str(attributes, Langfuse.MODEL_NAME),
        parameters=json_object(attributes.get(Langfuse.MODEL_PARAMETERS)),
        system_instructions=system_text(inputs) if inputs else None,
        input_messages=inputs,
        output_messages=parse_output_messages(output_value) if output_value is not None else None,
        usage=_usage(attributes),
    )


def tool_facts(span: Span) -> ToolFacts:
    """A `tool` observation: its name is the span name."""
    attributes = span.attributes
    is_tool = as_str(attributes.get(Langfuse.OBSERVATION_TYPE)) == "tool"
    return ToolFacts(
        name=span.name if is_tool and span.name else None,
        arguments=parse_json(attributes.get(Langfuse.OBSERVATION_INPUT)),
        result=parse_json(attributes.get(Langfuse.OBSERVATION_OUTPUT)),
    )


def turn_text(attributes: Attributes) -> TurnText:
    """The trace (else observation) input and output of a Langfuse root span."""
    user = payload_text(attributes.get(Langfuse.TRACE_INPUT), Role.USER) or payload_text(
        attributes.get(Langfuse.OBSERVATION_INPUT), Role.USER
    )
    answer = payload_text(attributes.get(Langfuse.TRACE_OUTPUT), Role.ASSISTANT) or payload_text(
        attributes.get(Langfuse.OBSERVATION_OUTPUT), Role.ASSISTANT
    )
    return TurnText(user, answer)
