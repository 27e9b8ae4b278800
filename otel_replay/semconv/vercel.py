"""Vercel AI SDK <= v6 `ai.*` spans (`experimental_telemetry`; v7's `LegacyOpenTelemetry`).

v7's default integration is GenAI-shaped and read by `genai`.
"""

from __future__ import annotations

from otel_replay.core.records import AnyValue, Attributes
from otel_replay.semconv.attributes import Vercel
from otel_replay.semconv.facts import LlmFacts, ToolFacts, TurnText
from otel_replay.semconv.genai import tool_definition
from otel_replay.semconv.messages import last_user_text, parse_messages, system_text
from otel_replay.semconv.model import Message, Part, Role, ToolDefinition, Usage
from otel_replay.semconv.parts import text_part, tool_call_part
from otel_replay.semconv.values import (
    as_str,
    dicts,
    first_id,
    first_int,
    first_str,
    json_list,
    json_object,
    normalise_provider,
    parse_json,
)

# ai.settings.* keys, renamed to the OTel request parameter names.
_SETTINGS = {
    "maxOutputTokens": "max_tokens",
    "maxTokens": "max_tokens",
    "temperature": "temperature",
    "topP": "top_p",
    "topK": "top_k",
    "frequencyPenalty": "frequency_penalty",
    "presencePenalty": "presence_penalty",
    "stopSequences": "stop_sequences",
    "seed": "seed",
}


def _output(attributes: Attributes) -> tuple[Message, ...] | None:
    text = first_str(attributes, Vercel.RESPONSE_TEXT, Vercel.RESULT_TEXT)
    raw_calls = attributes.get(Vercel.RESPONSE_TOOL_CALLS)
    if raw_calls is None:
        raw_calls = attributes.get(Vercel.RESULT_TOOL_CALLS)
    calls = json_list(raw_calls) if raw_calls is not None else None
    parts: list[Part] = [text_part(text)] if text else []
    for call in dicts(calls or []):
        # v5+: input (JSON text); v4: args.
        arguments = call.get("input") if "input" in call else call.get("args")
        parts.append(tool_call_part(call.get("toolCallId"), call.get("toolName"), arguments))
    obj = attributes.get(Vercel.RESPONSE_OBJECT)
    if not parts and obj is not None:
        parts.append(text_part(obj if isinstance(obj, str) else str(obj)))
    if not parts and text is None and raw_calls is None:
        return None
    return (Message(Role.ASSISTANT, tuple(parts)),)


def _tools(attributes: Attributes) -> tuple[ToolDefinition, ...] | None:
    raw = attributes.get(Vercel.PROMPT_TOOLS)
    listed = raw if isinstance(raw, list) else json_list(raw)
    if listed is None:
        return None
    return tuple(d for d in (tool_definition(item) for item in listed) if d is not None)


def _parameters(attributes: Attributes) -> dict[str, AnyValue] | None:
    found: dict[str, AnyValue] = {}
    for key, value in attributes.items():
        if key.startswith(Vercel.SETTINGS_PREFIX):
            name = key[len(Vercel.SETTINGS_PREFIX) :]
            if name in _SETTINGS:
                found[_SETTINGS[name]] = value
    return found or None


def _usage(attributes: Attributes) -> Usage | None:
    usage = Usage(
        input_tokens=first_int(attributes, Vercel.USAGE_INPUT_TOKENS, Vercel.USAGE_PROMPT_TOKENS),
        output_tokens=first_int(
            attributes, Vercel.USAGE_OUTPUT_TOKENS, Vercel.USAGE_COMPLETION_TOKENS
        ),
        cache_read_input_tokens=first_int(attributes, Vercel.USAGE_CACHED_INPUT_TOKENS),
        reasoning_output_tokens=first_int(attributes, Vercel.USAGE_REASONING_TOKENS),
    )
    return None if usage == Usage() else usage


def llm_facts(attributes: Attributes) -> LlmFacts:
    """A provider-call span (`ai.generateText.doGenerate`, `ai.streamText.doStream`...)."""
    if not any(key.startswith("ai.") for key in attributes):
        return LlmFacts()
    inputs = parse_messages(attributes.get(Vercel.PROMPT_MESSAGES), Role.USER)
    return LlmFacts(
        provider=normalise_provider(first_str(attributes, Vercel.MODEL_PROVIDER)),
        request_model=first_str(attributes, Vercel.MODEL_ID),
        response_model=first_str(attributes, Vercel.RESPONSE_MODEL),
        response_id=first_str(attributes, Vercel.RESPONSE_ID),
        finish_raw=first_str(attributes, Vercel.RESPONSE_FINISH_REASON),
        parameters=_parameters(attributes),
        system_instructions=system_text(inputs) if inputs else None,
        input_messages=inputs,
        output_messages=_output(attributes),
        usage=_usage(attributes),
        tool_definitions=_tools(attributes),
    )


def tool_facts(attributes: Attributes) -> ToolFacts:
    """An `ai.toolCall` span."""
    arguments = attributes.get(Vercel.TOOL_CALL_ARGS)
    if arguments is None:
        arguments = attributes.get(Vercel.TOOL_CALL_INPUT)
    result = attributes.get(Vercel.TOOL_CALL_RESULT)
    if result is None:
        result = attributes.get(Vercel.TOOL_CALL_OUTPUT)
    return ToolFacts(
        name=first_str(attributes, Vercel.TOOL_CALL_NAME),
        call_id=first_id(attributes, Vercel.TOOL_CALL_ID),
        arguments=parse_json(arguments),
        result=parse_json(result),
    )


def prompt_messages(attributes: Attributes) -> tuple[Message, ...] | None:
    """The operation span's `ai.prompt` = `{system?, prompt?, messages?}`."""
    if Vercel.PROMPT not in attributes:  # every span of a session is asked (agent.py)
        return None
    prompt = json_object(attributes.get(Vercel.PROMPT))
    if prompt is None:
        text = as_str(attributes.get(Vercel.PROMPT))
        return (Message(Role.USER, (text_part(text),)),) if text else None
    return parse_messages(prompt, Role.USER)


def turn_text(attributes: Attributes) -> TurnText:
    """The operation span's prompt (last user text) and response text."""
    messages = prompt_messages(attributes) or ()
    return TurnText(
        last_user_text(messages),
        first_str(attributes, Vercel.RESPONSE_TEXT, Vercel.RESULT_TEXT),
    )


def system_prompt(attributes: Attributes) -> str | None:
    """The `system` field of the operation span's `ai.prompt`."""
    return system_text(prompt_messages(attributes) or ())
