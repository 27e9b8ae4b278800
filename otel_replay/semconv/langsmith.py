"""LangSmith SDK OTel exporter: run inputs/outputs as JSON in the exact keys
`gen_ai.prompt` / `gen_ai.completion` (not the flattened OpenLLMetry form, section 8.1).
"""

from __future__ import annotations

from otel_replay.core.records import AnyValue, Span
from otel_replay.semconv.attributes import GenAI
from otel_replay.semconv.facts import LlmFacts, ToolFacts, TurnText
from otel_replay.semconv.messages import (
    parse_input_messages,
    parse_output_messages,
    payload_text,
    system_text,
)
from otel_replay.semconv.model import Role
from otel_replay.semconv.values import json_object, parse_json


def is_langsmith(span: Span) -> bool:
    """Whether the span came from the LangSmith exporter (scope or `langsmith.*` keys)."""
    return span.scope.name.startswith("langsmith") or any(
        key.startswith("langsmith.") for key in span.attributes
    )


def llm_facts(span: Span) -> LlmFacts:
    """An `llm` run: inputs and outputs as chat payloads."""
    if not is_langsmith(span):
        return LlmFacts()
    attributes = span.attributes
    prompt = attributes.get(GenAI.PROMPT)
    completion = attributes.get(GenAI.COMPLETION)
    inputs = parse_input_messages(prompt) if prompt is not None else None
    return LlmFacts(
        system_instructions=system_text(inputs) if inputs else None,
        input_messages=inputs,
        output_messages=parse_output_messages(completion) if completion is not None else None,
    )


def _unwrap(value: AnyValue, keys: tuple[str, ...]) -> AnyValue:
    # Tool runs record {"input": ...} / {"output": ...}; unwrap a lone wrapper key.
    parsed = json_object(value)
    if parsed is not None and len(parsed) == 1:
        (key,) = parsed
        if key in keys:
            return parse_json(parsed[key])
    return parse_json(value)


def tool_facts(span: Span) -> ToolFacts:
    """A `tool` run: its inputs are the arguments, its outputs the result."""
    if not is_langsmith(span):
        return ToolFacts()
    attributes = span.attributes
    return ToolFacts(
        name=span.name or None,
        arguments=_unwrap(attributes.get(GenAI.PROMPT), ("input", "input_str", "args")),
        result=_unwrap(attributes.get(GenAI.COMPLETION), ("output", "result")),
    )


def turn_text(span: Span) -> TurnText:
    """A root run's inputs and outputs as user text and answer."""
    if not is_langsmith(span):
        return TurnText()
    attributes = span.attributes
    return TurnText(
        payload_text(attributes.get(GenAI.PROMPT), Role.USER),
        payload_text(attributes.get(GenAI.COMPLETION), Role.ASSISTANT),
    )
