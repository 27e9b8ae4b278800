"""Voice frameworks: LiveKit Agents (`lk.*`, `lk.pii.*` since 1.7) and Pipecat.

Both put a whole session in one trace; turns are spans (section 8.11). LiveKit's
`llm_node` holds the content and its child `llm_request` the usage; Pipecat's `llm`
span holds provider-native `input` and text-only `output`.
"""

from __future__ import annotations

from otel_replay.core.records import AnyValue, Attributes, Span
from otel_replay.semconv.attributes import GenAI, LiveKit, Pipecat
from otel_replay.semconv.facts import LlmFacts, ToolFacts, TurnText
from otel_replay.semconv.genai import tool_definitions_from
from otel_replay.semconv.messages import parse_messages, system_text
from otel_replay.semconv.model import Message, Part, Role, ToolDefinition
from otel_replay.semconv.parts import text_part, tool_call_part
from otel_replay.semconv.values import as_bool, as_id, as_str, dicts, json_list, parse_json, text_of


def _lk(attributes: Attributes, key: str) -> AnyValue:
    """A LiveKit content key under either spelling (<= 1.6 `lk.x`, >= 1.7 `lk.pii.x`)."""
    value = attributes.get(key)
    return value if value is not None else attributes.get(LiveKit.pii(key))


def _lk_str(attributes: Attributes, key: str) -> str | None:
    return as_str(_lk(attributes, key))


def is_livekit(span: Span) -> bool:
    """Whether the span came from LiveKit Agents (scope or `lk.*` keys)."""
    return span.scope.name.startswith("livekit") or any(
        key.startswith("lk.") for key in span.attributes
    )


def _livekit_output(attributes: Attributes) -> tuple[Message, ...] | None:
    text = _lk_str(attributes, LiveKit.RESPONSE_TEXT)
    raw_calls = _lk(attributes, LiveKit.RESPONSE_FUNCTION_CALLS)
    if text is None and raw_calls is None:
        return None
    parts: list[Part] = [text_part(text)] if text else []
    for call in dicts(json_list(raw_calls) or []):
        # `id` is LiveKit's item id; `call_id` is the provider's tool call id.
        call_id = call.get("call_id") if call.get("call_id") is not None else call.get("id")
        parts.append(tool_call_part(call_id, call.get("name"), call.get("arguments")))
    return (Message(Role.ASSISTANT, tuple(parts)),)


def _livekit_tools(attributes: Attributes) -> tuple[ToolDefinition, ...] | None:
    names = attributes.get(LiveKit.FUNCTION_TOOLS)
    if not isinstance(names, list):
        return None
    return tuple(ToolDefinition(name) for name in (as_str(n) for n in names) if name)


def livekit_llm_facts(span: Span) -> LlmFacts:
    """An `llm_node` span (content), or an `agent_turn` (instructions only)."""
    if not is_livekit(span):
        return LlmFacts()
    attributes = span.attributes
    inputs = parse_messages(_lk(attributes, LiveKit.CHAT_CTX), Role.USER)
    return LlmFacts(
        system_instructions=_lk_str(attributes, LiveKit.INSTRUCTIONS)
        or (system_text(inputs) if inputs else None),
        input_messages=inputs,
        output_messages=_livekit_output(attributes),
        tool_definitions=_livekit_tools(attributes),
    )


def livekit_tool_facts(span: Span) -> ToolFacts:
    """A `function_tool` span; `is_error` turns the output into the error."""
    attributes = span.attributes
    output = parse_json(_lk(attributes, LiveKit.FUNCTION_TOOL_OUTPUT))
    failed = as_bool(attributes.get(LiveKit.FUNCTION_TOOL_IS_ERROR)) is True
    return ToolFacts(
        name=as_str(attributes.get(LiveKit.FUNCTION_TOOL_NAME)),
        call_id=as_id(attributes.get(LiveKit.FUNCTION_TOOL_ID)),
        arguments=parse_json(_lk(attributes, LiveKit.FUNCTION_TOOL_ARGUMENTS)),
        result=output,
        error=(text_of(output) or "tool reported an error") if failed else None,
    )


def livekit_turn_text(span: Span) -> TurnText:
    """`user_turn` transcript, `agent_turn` user input, `tts_request` spoken text."""
    attributes = span.attributes
    return TurnText(
        _lk_str(attributes, LiveKit.USER_TRANSCRIPT) or _lk_str(attributes, LiveKit.USER_INPUT),
        _lk_str(attributes, LiveKit.INPUT_TEXT),
    )


def generation_ids(span: Span) -> tuple[str | None, str | None]:
    """(`lk.generation_id`, `lk.parent_generation_id`) of an `agent_turn`."""
    attributes = span.attributes
    return (
        as_str(attributes.get(LiveKit.GENERATION_ID)),
        as_str(attributes.get(LiveKit.PARENT_GENERATION_ID)),
    )


def is_pipecat(span: Span) -> bool:
    # `input`/`output`/`text` are generic key names: only trust them on Pipecat spans.
    """Whether the span came from Pipecat tracing."""
    return span.scope.name.startswith("pipecat") or (
        span.name in (Pipecat.SPAN_LLM, Pipecat.SPAN_STT, Pipecat.SPAN_TTS)
        and GenAI.OPERATION_NAME in span.attributes
    )


def pipecat_llm_facts(span: Span) -> LlmFacts:
    """A Pipecat `llm` span: provider-native `input`, text-only `output`, `tools`."""
    if not is_pipecat(span):
        return LlmFacts()
    attributes = span.attributes
    inputs = parse_messages(attributes.get(Pipecat.INPUT), Role.USER)
    output = as_str(attributes.get(Pipecat.OUTPUT))
    tools = attributes.get(Pipecat.TOOLS)
    return LlmFacts(
        system_instructions=system_text(inputs) if inputs else None,
        input_messages=inputs,
        output_messages=(Message(Role.ASSISTANT, (text_part(output),)),) if output else None,
        parameters=_pipecat_parameters(attributes),
        tool_definitions=tool_definitions_from(tools) if tools is not None else None,
    )


def _pipecat_parameters(attributes: Attributes) -> dict[str, AnyValue] | None:
    found = {k[len("param.") :]: v for k, v in attributes.items() if k.startswith("param.")}
    return found or None


def pipecat_turn_text(span: Span) -> TurnText:
    """`stt` final transcript (user) and `tts` text (spoken reply)."""
    if not is_pipecat(span):
        return TurnText()
    attributes = span.attributes
    user: str | None = None
    if span.name == Pipecat.SPAN_STT and as_bool(attributes.get(Pipecat.IS_FINAL)) is not False:
        user = as_str(attributes.get(Pipecat.TRANSCRIPT))
    spoken = as_str(attributes.get(Pipecat.TEXT)) if span.name == Pipecat.SPAN_TTS else None
    return TurnText(user, spoken)
