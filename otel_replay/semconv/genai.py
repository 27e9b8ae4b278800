"""OpenTelemetry GenAI conventions: v1.37+ message attributes, v1.28-v1.36 message events
(log records joined on trace/span id, or span events), and v1.26-v1.27 content events.

The `gen_ai.*` metadata keys (model, usage, finish reasons...) are shared by many other
producers (OpenLLMetry, AI SDK provider spans, pydantic-ai, LiveKit, Pipecat), so
`attribute_facts` reads them for every span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from otel_replay.core.records import AnyValue, Attributes, LogRecord, Span
from otel_replay.semconv.attributes import GenAI
from otel_replay.semconv.facts import LlmFacts, ToolFacts, TurnText
from otel_replay.semconv.messages import joined_text, last_user_text, parse_messages
from otel_replay.semconv.model import Message, PartType, Role, ToolDefinition, Usage
from otel_replay.semconv.parts import parse_content, parse_tool_calls, tool_result_part
from otel_replay.semconv.values import (
    as_int,
    as_str,
    dicts,
    first_finish_reason,
    first_id,
    first_int,
    first_str,
    json_container,
    json_list,
    normalise_provider,
    parse_json,
    unflatten,
)

_PARAMETER_ALIASES = {"max_completion_tokens": "max_tokens", "choice.count": "choice_count"}
# gen_ai.request.* keys that are not sampling parameters.
_NOT_PARAMETERS = {"model", "parameters"}


@dataclass(frozen=True)
class ContentEvent:
    """A span event or a joined log record, reduced to its name and payload."""

    name: str
    payload: Mapping[str, AnyValue]
    time_unix_nano: int


def content_events(span: Span, logs: Sequence[LogRecord]) -> list[ContentEvent]:
    """The span's own events and its log records, in time order (ties keep their order)."""
    events = [ContentEvent(e.name, e.attributes, e.time_unix_nano) for e in span.events]
    for log in logs:
        name = log.event_name or as_str(log.attributes.get(GenAI.EVENT_NAME_ATTRIBUTE)) or ""
        payload: dict[str, AnyValue] = dict(log.attributes)
        if isinstance(log.body, dict):
            payload.update(log.body)
        events.append(ContentEvent(name, payload, log.time_unix_nano))
    return sorted(events, key=lambda e: e.time_unix_nano)


_NO_USAGE = Usage()


def usage_from(attributes: Attributes) -> Usage | None:
    """Token counts from gen_ai.usage.* (v1.26 and current spellings); None if none."""
    usage = Usage(
        input_tokens=first_int(attributes, GenAI.USAGE_INPUT_TOKENS, GenAI.USAGE_PROMPT_TOKENS),
        output_tokens=first_int(
            attributes, GenAI.USAGE_OUTPUT_TOKENS, GenAI.USAGE_COMPLETION_TOKENS
        ),
        total_tokens=first_int(attributes, GenAI.USAGE_TOTAL_TOKENS),
        cache_read_input_tokens=first_int(
            attributes, GenAI.USAGE_CACHE_READ, GenAI.USAGE_CACHE_READ_LEGACY
        ),
        cache_creation_input_tokens=first_int(
            attributes,
            GenAI.USAGE_CACHE_CREATION,
            GenAI.USAGE_CACHE_WRITE,
            GenAI.USAGE_CACHE_CREATION_LEGACY,
        ),
        reasoning_output_tokens=first_int(
            attributes, GenAI.USAGE_REASONING, GenAI.USAGE_REASONING_LEGACY
        ),
    )
    return None if usage == _NO_USAGE else usage


def parameters_from(attributes: Attributes) -> dict[str, AnyValue] | None:
    """Sampling parameters from gen_ai.request.*, keyed by the OTel suffix."""
    parameters: dict[str, AnyValue] = {}
    for key, value in attributes.items():
        if not key.startswith(GenAI.REQUEST_PREFIX):
            continue
        name = key[len(GenAI.REQUEST_PREFIX) :]
        if name in _NOT_PARAMETERS:
            continue
        parameters[_PARAMETER_ALIASES.get(name, name)] = value
    return parameters or None


def tool_definitions_from(value: AnyValue) -> tuple[ToolDefinition, ...] | None:
    """OTel `gen_ai.tool.definitions`, OpenAI `tools` arrays, and JSON-schema wrappers."""
    listed = json_list(value)
    if listed is None:
        return None
    definitions = [d for d in (tool_definition(item) for item in listed) if d is not None]
    return tuple(definitions)


def tool_definition(item: AnyValue) -> ToolDefinition | None:
    """One tool definition (OTel, OpenAI `function` wrapper, AI SDK `inputSchema`)."""
    item = parse_json(item)
    if not isinstance(item, dict):
        name = as_str(item)
        return ToolDefinition(name) if name else None
    function = item.get("function")
    if isinstance(function, dict):
        item = function
    name = as_str(item.get("name"))
    if name is None:
        return None
    parameters = item.get("parameters")
    if parameters is None:
        parameters = item.get("inputSchema", item.get("input_schema"))
    return ToolDefinition(name, as_str(item.get("description")), parse_json(parameters))


def _flattened_tool_definitions(attributes: Attributes) -> tuple[ToolDefinition, ...] | None:
    # OpenLLMetry before semconv-ai 0.5: gen_ai.tool.definitions.{i}.name/...
    listed = unflatten(attributes, GenAI.TOOL_DEFINITIONS)
    return tool_definitions_from(listed) if listed is not None else None


def _output_finish(value: AnyValue) -> str | None:
    # The per-message finish_reason of gen_ai.output.messages (first choice).
    listed = json_list(value)
    for message in dicts(listed or []):
        reason = as_str(message.get("finish_reason"))
        if reason:
            return reason
    return None


def attribute_facts(attributes: Attributes) -> LlmFacts:
    """The v1.37+ message attributes plus every gen_ai.* metadata key."""
    input_value = attributes.get(GenAI.INPUT_MESSAGES)
    # Parsed once for both the finish reason and the messages.
    output_value = json_container(attributes.get(GenAI.OUTPUT_MESSAGES))
    definitions = attributes.get(GenAI.TOOL_DEFINITIONS)
    return LlmFacts(
        provider=normalise_provider(first_str(attributes, GenAI.PROVIDER_NAME, GenAI.SYSTEM)),
        request_model=first_str(attributes, GenAI.REQUEST_MODEL),
        response_model=first_str(attributes, GenAI.RESPONSE_MODEL),
        response_id=first_str(attributes, GenAI.RESPONSE_ID),
        finish_raw=first_finish_reason(attributes.get(GenAI.RESPONSE_FINISH_REASONS))
        or _output_finish(output_value),
        parameters=parameters_from(attributes),
        system_instructions=joined_text(attributes.get(GenAI.SYSTEM_INSTRUCTIONS)),
        input_messages=parse_messages(input_value, Role.USER),
        output_messages=parse_messages(output_value, Role.ASSISTANT),
        usage=usage_from(attributes),
        tool_definitions=tool_definitions_from(definitions)
        if definitions is not None
        else _flattened_tool_definitions(attributes),
    )


def details_event_facts(events: Sequence[ContentEvent]) -> LlmFacts:
    """The v1.37+ `gen_ai.client.inference.operation.details` event (span event or log)."""
    for event in events:
        if event.name == GenAI.EVENT_OPERATION_DETAILS:
            return attribute_facts(dict(event.payload))
    return LlmFacts()


def _event_message(event: ContentEvent) -> Message | None:
    payload = event.payload
    role = {
        GenAI.EVENT_SYSTEM_MESSAGE: Role.SYSTEM,
        GenAI.EVENT_USER_MESSAGE: Role.USER,
        GenAI.EVENT_ASSISTANT_MESSAGE: Role.ASSISTANT,
        GenAI.EVENT_TOOL_MESSAGE: Role.TOOL,
    }.get(event.name)
    if role is None:
        return None
    if role is Role.TOOL:
        # Strands sends the results as content blocks that name their call ids.
        results = [
            p for p in parse_content(payload.get("content")) if p.type is PartType.TOOL_RESULT
        ]
        if results:
            return Message(Role.TOOL, tuple(results))
        part = tool_result_part(payload.get("id"), payload.get("content"))
        return Message(Role.TOOL, (part,))
    parts = parse_content(payload.get("content"))
    parts.extend(parse_tool_calls(parse_json(payload.get("tool_calls"))))
    return Message(role, tuple(parts))


def _choice_message(payload: Mapping[str, AnyValue]) -> Message:
    message = parse_json(payload.get("message"))
    if not isinstance(message, dict):
        # Strands: the message is the answer's content itself (text, or content blocks).
        return Message(Role.ASSISTANT, tuple(parse_content(payload.get("message"))))
    parts = parse_content(message.get("content"))
    parts.extend(parse_tool_calls(parse_json(message.get("tool_calls"))))
    return Message(Role.ASSISTANT, tuple(parts))


def message_event_facts(events: Sequence[ContentEvent]) -> LlmFacts:
    """v1.28-v1.36: one event per input message, one `gen_ai.choice` per output choice."""
    inputs: list[Message] = []
    choices: list[tuple[int, Message, str | None]] = []
    for event in events:
        if event.name == GenAI.EVENT_CHOICE:
            index = as_int(event.payload.get("index"))
            reason = as_str(event.payload.get("finish_reason"))
            choices.append(
                (
                    index if index is not None else len(choices),
                    _choice_message(event.payload),
                    reason,
                )
            )
            continue
        message = _event_message(event)
        if message is not None:
            inputs.append(message)
    choices.sort(key=lambda c: c[0])
    system = [m.text for m in inputs if m.role is Role.SYSTEM and m.text]
    return LlmFacts(
        input_messages=tuple(inputs) if inputs else None,
        output_messages=tuple(c[1] for c in choices) if choices else None,
        finish_raw=next((c[2] for c in choices if c[2]), None),
        system_instructions="\n".join(t for t in system if t) or None,
    )


def content_event_facts(events: Sequence[ContentEvent]) -> LlmFacts:
    """v1.26-v1.27: span events `gen_ai.content.prompt` / `gen_ai.content.completion`."""
    inputs: tuple[Message, ...] | None = None
    outputs: tuple[Message, ...] | None = None
    for event in events:
        if event.name == GenAI.EVENT_CONTENT_PROMPT:
            inputs = parse_messages(event.payload.get(GenAI.PROMPT), Role.USER)
        elif event.name == GenAI.EVENT_CONTENT_COMPLETION:
            outputs = parse_messages(event.payload.get(GenAI.COMPLETION), Role.ASSISTANT)
    return LlmFacts(input_messages=inputs, output_messages=outputs)


def tool_facts(attributes: Attributes) -> ToolFacts:
    """An `execute_tool` span (v1.31+; arguments/result since v1.38)."""
    return ToolFacts(
        name=first_str(attributes, GenAI.TOOL_NAME),
        call_id=first_id(attributes, GenAI.TOOL_CALL_ID),
        arguments=parse_json(attributes.get(GenAI.TOOL_CALL_ARGUMENTS)),
        result=parse_json(attributes.get(GenAI.TOOL_CALL_RESULT)),
        description=first_str(attributes, GenAI.TOOL_DESCRIPTION),
    )


def turn_text(attributes: Attributes) -> TurnText:
    """An `invoke_agent` span repeats the run's messages: the last user text and the answer."""
    inputs = parse_messages(attributes.get(GenAI.INPUT_MESSAGES), Role.USER) or ()
    outputs = parse_messages(attributes.get(GenAI.OUTPUT_MESSAGES), Role.ASSISTANT) or ()
    answer = next((m.text for m in outputs if m.role is Role.ASSISTANT and m.text), None)
    return TurnText(last_user_text(inputs), answer)
