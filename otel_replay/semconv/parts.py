"""Parse one message part (text, reasoning, tool call, tool result, media) of any known shape.

Producers disagree on part keys (docs/semconv.md sections 3.2-3.3, 8.4): OTel `tool_call_response`
with `response` (pydantic-ai: `result`), AI SDK `tool-result` with an `output` wrapper,
Anthropic `tool_use`/`tool_result`, OpenAI Responses `function_call(_output)`, Gemini parts
keyed by kind. All map onto `Part`.
"""

from __future__ import annotations

from otel_replay.core.records import AnyValue
from otel_replay.semconv.model import Part, PartType
from otel_replay.semconv.values import as_bool, as_id, as_str, dicts, json_container, parse_json

_TEXT_TYPES = {"text", "input_text", "output_text"}
_REASONING_TYPES = {"reasoning", "thinking", "redacted_thinking"}
_TOOL_CALL_TYPES = {"tool_call", "tool-call", "tool_use", "function_call"}
_TOOL_RESULT_TYPES = {
    "tool_call_response",
    "tool-result",
    "tool_result",
    "function_call_output",
    "function_response",
}
_MEDIA_TYPES = {
    "blob",
    "file",
    "uri",
    "image",
    "image_url",
    "image-url",
    "binary",
    "input_image",
    "input_audio",
    "input_file",
    "audio",
    "document",
    "media",
}


# Bedrock Converse content blocks (Strands Agents' span events): one key names the kind.
_BEDROCK_BLOCK_KEYS = {
    "text",
    "toolUse",
    "toolResult",
    "image",
    "document",
    "video",
    "reasoningContent",
    "cachePoint",
    "guardContent",
}


def _is_block(item: AnyValue) -> bool:
    """A typed part, or a Bedrock content block (a single key naming its kind)."""
    if not isinstance(item, dict):
        return False
    return "type" in item or (len(item) == 1 and next(iter(item)) in _BEDROCK_BLOCK_KEYS)


def text_part(text: str) -> Part:
    """A text part."""
    return Part(PartType.TEXT, text=text)


def tool_call_part(call_id: AnyValue, name: AnyValue, arguments: AnyValue) -> Part:
    """A tool request; JSON-text arguments are parsed."""
    return Part(
        PartType.TOOL_CALL,
        call_id=as_id(call_id),
        name=as_str(name),
        arguments=parse_json(arguments),
    )


def tool_result_part(
    call_id: AnyValue, result: AnyValue, name: AnyValue = None, is_error: bool = False
) -> Part:
    """A tool result; JSON-text results are parsed, AI SDK wrappers unwrapped."""
    return Part(
        PartType.TOOL_RESULT,
        call_id=as_id(call_id),
        name=as_str(name),
        result=_result_value(result),
        is_error=is_error,
    )


def _result_value(result: AnyValue) -> AnyValue:
    # AI SDK v5+ wraps results as {type: "json"|"text"|"error-text"..., value}.
    if isinstance(result, dict) and set(result) == {"type", "value"}:
        return parse_json(result["value"])
    # Anthropic tool_result content may be a list of text blocks; Bedrock's are untyped
    # (`{"text": ...}`, `{"json": ...}`).
    if isinstance(result, list) and result and all(isinstance(b, dict) for b in result):
        blocks = dicts(result)
        if len(blocks) == 1 and set(blocks[0]) == {"json"}:
            return blocks[0]["json"]
        texts = [
            as_str(b.get("text")) for b in blocks if b.get("type") == "text" or set(b) == {"text"}
        ]
        if texts and all(texts):
            return parse_json("".join(t for t in texts if t))
    return parse_json(result)


def first_of(item: dict[str, AnyValue], *keys: str) -> AnyValue:
    """The value of the first key that is present and not None."""
    for key in keys:
        if item.get(key) is not None:
            return item[key]
    return None


def parse_part(item: AnyValue) -> Part | None:
    """One content part of any known shape; a bare string is a text part."""
    if isinstance(item, str):
        return text_part(item) if item else None
    if not isinstance(item, dict):
        return None
    kind = as_str(item.get("type"))
    if kind is None:
        return _untyped_part(item)
    kind = kind.lower()
    if kind in _TEXT_TYPES:
        text = as_str(first_of(item, "content", "text"))
        return text_part(text) if text else None
    if kind in _REASONING_TYPES:
        return Part(PartType.REASONING, text=as_str(first_of(item, "content", "text", "thinking")))
    if kind == "refusal":
        return Part(PartType.REFUSAL, text=as_str(first_of(item, "content", "refusal", "text")))
    if kind in _TOOL_CALL_TYPES:
        function = item.get("function")
        if isinstance(function, dict):
            return tool_call_part(item.get("id"), function.get("name"), function.get("arguments"))
        return tool_call_part(
            first_of(item, "id", "toolCallId", "call_id"),
            first_of(item, "name", "toolName"),
            first_of(item, "arguments", "input", "args"),
        )
    if kind in _TOOL_RESULT_TYPES:
        output = item.get("output")
        is_error = as_bool(item.get("is_error")) is True or (
            isinstance(output, dict) and str(output.get("type", "")).startswith("error")
        )
        return tool_result_part(
            first_of(item, "id", "toolCallId", "tool_use_id", "call_id"),
            first_of(item, "response", "result", "output", "content"),
            first_of(item, "name", "toolName"),
            is_error,
        )
    if kind in _MEDIA_TYPES:
        return Part(PartType.MEDIA, data=item)
    return Part(PartType.OTHER, data=item)


def _untyped_part(item: dict[str, AnyValue]) -> Part | None:
    # Bedrock Converse blocks (Strands) carry their kind as the key.
    use = item.get("toolUse")
    if isinstance(use, dict):
        return tool_call_part(use.get("toolUseId"), use.get("name"), use.get("input"))
    answer = item.get("toolResult")
    if isinstance(answer, dict):
        failed = as_str(answer.get("status")) == "error"
        return tool_result_part(answer.get("toolUseId"), answer.get("content"), None, failed)
    # Gemini parts carry their kind as the key.
    if "text" in item:
        text = as_str(item["text"])
        if item.get("thought") is True:
            return Part(PartType.REASONING, text=text)
        return text_part(text) if text else None
    call = first_of(item, "function_call", "functionCall")
    if isinstance(call, dict):
        return tool_call_part(call.get("id"), call.get("name"), call.get("args"))
    response = first_of(item, "function_response", "functionResponse")
    if isinstance(response, dict):
        return tool_result_part(response.get("id"), response.get("response"), response.get("name"))
    if any(k in item for k in ("inline_data", "inlineData", "file_data", "fileData")):
        return Part(PartType.MEDIA, data=item)
    return Part(PartType.OTHER, data=item)


def parse_content(content: AnyValue) -> list[Part]:
    """Message content: a string, a list of parts (or strings), or one part."""
    if content is None:
        return []
    if isinstance(content, str):
        # Some producers serialise a list of typed parts into the content string.
        listed = json_container(content)
        if isinstance(listed, list) and listed and all(_is_block(p) for p in listed):
            return parse_content(listed)
        return [text_part(content)] if content else []
    items = content if isinstance(content, list) else [content]
    return [part for part in (parse_part(i) for i in items) if part is not None]


def parse_tool_calls(tool_calls: AnyValue) -> list[Part]:
    """OpenAI-style `tool_calls` (nested `function`, flat, or OpenInference `tool_call`)."""
    if not isinstance(tool_calls, list):
        return []
    parts: list[Part] = []
    for call in dicts(tool_calls):
        inner = call.get("tool_call")
        if isinstance(inner, dict):
            call = inner
        function = call.get("function")
        if isinstance(function, dict):
            parts.append(
                tool_call_part(call.get("id"), function.get("name"), function.get("arguments"))
            )
        else:
            parts.append(
                tool_call_part(
                    first_of(call, "id", "call_id", "toolCallId"),
                    first_of(call, "name", "toolName"),
                    first_of(call, "arguments", "args", "input"),
                )
            )
    return parts
