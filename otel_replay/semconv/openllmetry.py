"""Traceloop OpenLLMetry: legacy flattened `gen_ai.prompt.{i}.*` / `gen_ai.completion.{i}.*`,
`llm.*` extras, and the `traceloop.entity.*` keys of decorator spans (both generations).
Current OpenLLMetry LLM spans are GenAI-shaped and read by `genai`.
"""

from __future__ import annotations

from otel_replay.core.records import AnyValue, Attributes
from otel_replay.semconv.attributes import GenAI, OpenLLMetry
from otel_replay.semconv.facts import LlmFacts, ToolFacts, TurnText
from otel_replay.semconv.messages import parse_message, payload_text, system_text
from otel_replay.semconv.model import Message, Role, ToolDefinition, Usage
from otel_replay.semconv.parts import text_part
from otel_replay.semconv.values import (
    as_str,
    dicts,
    first_int,
    first_str,
    json_object,
    parse_json,
    unflatten,
)


def _messages(attributes: Attributes, prefix: str, role: Role) -> tuple[Message, ...] | None:
    elements = unflatten(attributes, prefix)
    if elements is None:
        return None
    messages: list[Message] = []
    for element in dicts(elements):
        messages.extend(parse_message(element, role))
    return tuple(messages)


def _finish(attributes: Attributes) -> str | None:
    elements = unflatten(attributes, GenAI.COMPLETION) or []
    for element in dicts(elements):
        reason = as_str(element.get("finish_reason"))
        if reason:
            return reason
    return None


def _functions(attributes: Attributes) -> tuple[ToolDefinition, ...] | None:
    functions = unflatten(attributes, OpenLLMetry.REQUEST_FUNCTIONS)
    if functions is None:
        return None
    definitions = [
        ToolDefinition(name, as_str(f.get("description")), parse_json(f.get("parameters")))
        for f in dicts(functions)
        if (name := as_str(f.get("name")))
    ]
    return tuple(definitions)


def _parameters(attributes: Attributes) -> dict[str, AnyValue] | None:
    legacy = {
        "top_k": attributes.get(OpenLLMetry.TOP_K),
        "frequency_penalty": attributes.get(OpenLLMetry.FREQUENCY_PENALTY),
        "presence_penalty": attributes.get(OpenLLMetry.PRESENCE_PENALTY),
        "stop_sequences": attributes.get(OpenLLMetry.STOP_SEQUENCES),
    }
    found: dict[str, AnyValue] = {k: v for k, v in legacy.items() if v is not None}
    return found or None


def llm_facts(attributes: Attributes) -> LlmFacts:
    """A legacy LLM span: flattened prompt/completion, finish reason, functions."""
    inputs = _messages(attributes, GenAI.PROMPT, Role.USER)
    outputs = _messages(attributes, GenAI.COMPLETION, Role.ASSISTANT)
    total = first_int(attributes, OpenLLMetry.TOTAL_TOKENS)
    return LlmFacts(
        finish_raw=_finish(attributes),
        parameters=_parameters(attributes),
        system_instructions=system_text(inputs) if inputs else None,
        input_messages=inputs,
        output_messages=outputs,
        usage=Usage(total_tokens=total) if total is not None else None,
        tool_definitions=_functions(attributes),
    )


def _entity_input(value: AnyValue) -> AnyValue:
    """`{"args": [...], "kwargs": {...}}` -> the kwargs, or the single argument."""
    parsed = json_object(value)
    if parsed is None:
        return parse_json(value)
    args = parsed.get("args")
    kwargs = parsed.get("kwargs")
    if set(parsed) <= {"args", "kwargs"}:
        if isinstance(kwargs, dict) and kwargs and not args:
            return kwargs
        if isinstance(args, list) and len(args) == 1 and not kwargs:
            return args[0]
    return parsed


def tool_facts(attributes: Attributes) -> ToolFacts:
    """A decorator `{name}.tool` span (current versions add `gen_ai.tool.name`)."""
    is_tool = as_str(attributes.get(OpenLLMetry.SPAN_KIND)) == "tool"
    return ToolFacts(
        name=first_str(attributes, OpenLLMetry.ENTITY_NAME) if is_tool else None,
        arguments=_entity_input(attributes.get(OpenLLMetry.ENTITY_INPUT)),
        result=parse_json(attributes.get(OpenLLMetry.ENTITY_OUTPUT)),
    )


def entity_io_facts(attributes: Attributes) -> LlmFacts:
    """Last-resort content of a decorated task around a model call."""
    user = payload_text(_entity_input(attributes.get(OpenLLMetry.ENTITY_INPUT)), Role.USER)
    answer = payload_text(attributes.get(OpenLLMetry.ENTITY_OUTPUT), Role.ASSISTANT)
    return LlmFacts(
        input_messages=(Message(Role.USER, (text_part(user),)),) if user else None,
        output_messages=(Message(Role.ASSISTANT, (text_part(answer),)),) if answer else None,
    )


def turn_text(attributes: Attributes) -> TurnText:
    """A workflow span's decorated function input and return value."""
    return TurnText(
        payload_text(_entity_input(attributes.get(OpenLLMetry.ENTITY_INPUT)), Role.USER),
        payload_text(attributes.get(OpenLLMetry.ENTITY_OUTPUT), Role.ASSISTANT),
    )
