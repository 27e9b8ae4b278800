"""Parse chat messages from the payload shapes producers emit, into `Message` records.

One sniffer covers the shapes that appear inside span attributes (docs/semconv.md section 3):
OTel GenAI parts, OpenAI chat and Responses API, Anthropic content blocks, AI SDK
provider prompts, Gemini contents, LangChain message dicts and LiveKit chat-context items.
Unknown shapes yield None (not recorded) rather than an error.
"""

from __future__ import annotations

from collections.abc import Iterable

from otel_replay.core.records import AnyValue
from otel_replay.semconv.model import Message, Part, PartType, Role
from otel_replay.semconv.parts import (
    first_of,
    parse_content,
    parse_tool_calls,
    text_part,
    tool_call_part,
    tool_result_part,
)
from otel_replay.semconv.values import (
    as_bool,
    as_str,
    dicts,
    json_container,
    normalise_role,
    parse_json,
)

# LangChain message classes and `type` values.
_LANGCHAIN_ROLES = {
    "HumanMessage": Role.USER,
    "AIMessage": Role.ASSISTANT,
    "AIMessageChunk": Role.ASSISTANT,
    "SystemMessage": Role.SYSTEM,
    "ToolMessage": Role.TOOL,
    "FunctionMessage": Role.TOOL,
    "human": Role.USER,
    "ai": Role.ASSISTANT,
    "system": Role.SYSTEM,
    "tool": Role.TOOL,
    "function": Role.TOOL,
}


def parse_message(item: AnyValue, default_role: Role = Role.USER) -> list[Message]:
    """One message-like item as zero or more messages."""
    if isinstance(item, str):
        return [Message(default_role, (text_part(item),))] if item else []
    if not isinstance(item, dict):
        return []
    if isinstance(item.get("kwargs"), dict) and isinstance(item.get("id"), list):
        return _langchain_message(item)
    kind = as_str(item.get("type"))
    if kind in ("function_call", "function_call_output", "reasoning") or (
        kind == "message" and "role" in item
    ):
        return _item_message(item, kind or "")
    if kind in _LANGCHAIN_ROLES and "role" not in item:
        data = item.get("data")
        body = data if isinstance(data, dict) else item
        return _chat_message(body, _LANGCHAIN_ROLES[kind])
    if "role" in item:
        return _chat_message(item, normalise_role(item["role"]))
    if "content" in item or "parts" in item or "tool_calls" in item or "function_call" in item:
        return _chat_message(item, default_role)
    return []


def _chat_message(item: dict[str, AnyValue], role: Role) -> list[Message]:
    parts = parse_content(first_of(item, "parts", "content"))
    refusal = as_str(item.get("refusal"))
    if refusal:
        parts.append(Part(PartType.REFUSAL, text=refusal))
    parts.extend(parse_tool_calls(item.get("tool_calls")))
    extra = item.get("additional_kwargs")
    if not item.get("tool_calls") and isinstance(extra, dict):
        # LangChain keeps the provider's raw tool calls here.
        parts.extend(parse_tool_calls(extra.get("tool_calls")))
    function_call = item.get("function_call")
    if isinstance(function_call, dict):
        parts.append(
            tool_call_part(None, function_call.get("name"), function_call.get("arguments"))
        )
    call_id = first_of(item, "tool_call_id", "toolCallId")
    if role is Role.TOOL and not any(p.type is PartType.TOOL_RESULT for p in parts):
        # An OpenAI-style tool message: its content is the result.
        content = item.get("content")
        texts = [p.text for p in parts if p.type is PartType.TEXT and p.text]
        result: AnyValue = content if isinstance(content, str) else "".join(t for t in texts if t)
        parts = [tool_result_part(call_id, result, item.get("name"))]
    elif call_id is not None:
        parts = [
            Part(
                p.type,
                p.text,
                p.call_id or as_str(call_id),
                p.name,
                p.arguments,
                p.result,
                p.is_error,
                p.data,
            )
            if p.type is PartType.TOOL_RESULT
            else p
            for p in parts
        ]
    return [Message(role, tuple(parts), as_str(item.get("name")))]


def _item_message(item: dict[str, AnyValue], kind: str) -> list[Message]:
    # OpenAI Responses API items and LiveKit chat-context items share these shapes.
    if kind == "function_call":
        part = tool_call_part(
            first_of(item, "call_id", "id"), item.get("name"), first_of(item, "arguments", "input")
        )
        return [Message(Role.ASSISTANT, (part,))]
    if kind == "function_call_output":
        is_error = as_bool(item.get("is_error")) is True
        part = tool_result_part(item.get("call_id"), item.get("output"), item.get("name"), is_error)
        return [Message(Role.TOOL, (part,))]
    if kind == "reasoning":
        summary = item.get("summary")
        texts = [as_str(s.get("text")) for s in dicts(summary)] if isinstance(summary, list) else []
        text = "\n".join(t for t in texts if t) or None
        return [Message(Role.ASSISTANT, (Part(PartType.REASONING, text=text),))]
    return _chat_message(item, normalise_role(item.get("role")))


def _langchain_message(item: dict[str, AnyValue]) -> list[Message]:
    ids = item.get("id")
    class_name = as_str(ids[-1]) if isinstance(ids, list) and ids else None
    kwargs = item.get("kwargs")
    if not isinstance(kwargs, dict):
        return []
    role = _LANGCHAIN_ROLES.get(class_name or "", Role.OTHER)
    return _chat_message(kwargs, role)


def langchain_tool_message(value: AnyValue) -> Part | None:
    """The tool result inside a serialised LangChain `ToolMessage`, or None for any other
    payload.

    LangChain tool spans (OpenInference, OpenLLMetry) record the ToolMessage the tool node
    returned, not the tool's own output: `{"type": "tool", "data": {"content", "tool_call_id",
    "status", ...}}` (`message_to_dict`) or the `lc` constructor form (`kwargs` instead of
    `data`). The result is its content (JSON text parsed), answering `tool_call_id`.
    """
    item = json_container(value)
    if not isinstance(item, dict):
        return None
    body: AnyValue = None
    if as_str(item.get("type")) == "tool" and "role" not in item:
        body = item.get("data")
    elif isinstance(item.get("kwargs"), dict) and isinstance(item.get("id"), list):
        ids = item["id"]
        if isinstance(ids, list) and ids and ids[-1] == "ToolMessage":
            body = item["kwargs"]
    if not isinstance(body, dict) or "content" not in body:
        return None
    (message,) = _chat_message(body, Role.TOOL)
    (part,) = message.tool_results or (None,)
    if part is None:
        return None
    if as_str(body.get("status")) == "error":
        return Part(
            part.type, call_id=part.call_id, name=part.name, result=part.result, is_error=True
        )
    return part


def parse_message_list(items: Iterable[AnyValue], default_role: Role = Role.USER) -> list[Message]:
    """Messages from a list of message-like items (nested lists are flattened)."""
    messages: list[Message] = []
    for item in items:
        if isinstance(item, list):
            # LangChain batches: a list of message lists.
            messages.extend(parse_message_list(item, default_role))
        else:
            messages.extend(parse_message(item, default_role))
    return messages


def parse_messages(value: AnyValue, default_role: Role = Role.USER) -> tuple[Message, ...] | None:
    """Messages from a list, a request/response body, or JSON text of either; else None."""
    parsed = json_container(value)
    if parsed is None:
        return None
    if isinstance(parsed, list):
        return tuple(parse_message_list(parsed, default_role))
    return _messages_from_body(parsed, default_role)


def _messages_from_body(
    body: dict[str, AnyValue], default_role: Role
) -> tuple[Message, ...] | None:
    prefix: list[Message] = []
    system = body.get("system")
    if isinstance(system, str | list) and system:
        prefix = [Message(Role.SYSTEM, tuple(parse_content(system)))]
    for key in ("messages", "contents", "input", "items", "output"):
        listed = body.get(key)
        if isinstance(listed, list):
            return tuple(prefix + parse_message_list(listed, default_role))
    prompt = as_str(body.get("prompt"))
    if prompt is not None:
        return (*prefix, Message(Role.USER, (text_part(prompt),)))
    choices = body.get("choices")
    if isinstance(choices, list):
        return tuple(_from_choices(dicts(choices)))
    candidates = body.get("candidates")
    if isinstance(candidates, list):
        contents = [c.get("content") for c in dicts(candidates)]
        return tuple(parse_message_list(contents, Role.ASSISTANT))
    if isinstance(body.get("generations"), list):
        return tuple(_from_generations(body["generations"]))
    messages = parse_message(body, default_role)
    return tuple(prefix + messages) if messages else None


def _from_choices(choices: list[dict[str, AnyValue]]) -> list[Message]:
    messages: list[Message] = []
    for choice in choices:
        message = choice.get("message")
        if isinstance(message, dict):
            messages.extend(parse_message(message, Role.ASSISTANT))
        elif as_str(choice.get("text")):
            messages.append(Message(Role.ASSISTANT, (text_part(str(choice["text"])),)))
    return messages


def _from_generations(generations: AnyValue) -> list[Message]:
    messages: list[Message] = []
    if not isinstance(generations, list):
        return messages
    for generation in generations:
        if isinstance(generation, list):
            messages.extend(_from_generations(generation))
        elif isinstance(generation, dict):
            message = generation.get("message")
            if isinstance(message, dict):
                messages.extend(parse_message(message, Role.ASSISTANT))
            elif as_str(generation.get("text")):
                messages.append(Message(Role.ASSISTANT, (text_part(str(generation["text"])),)))
    return messages


# Keys under which app payloads (run inputs/outputs, agent I/O) commonly hold the text.
_INPUT_KEYS = ("input", "query", "question", "prompt", "message", "user_input", "content", "text")
_OUTPUT_KEYS = ("output", "answer", "result", "response", "final_output", "content", "text")


def payload_text(value: AnyValue, want: Role) -> str | None:
    """The user (want=USER) or assistant text of an app-defined payload: plain or JSON
    text, a message list or request/response body, or a wrapper such as {"input": ...}."""
    parsed = parse_json(value)
    if isinstance(parsed, str):
        return parsed or None
    messages = parse_messages(parsed, want)
    if messages:
        if want is Role.USER:
            return last_user_text(messages)
        return next(
            (m.text for m in reversed(messages) if m.role is Role.ASSISTANT and m.text), None
        )
    if not isinstance(parsed, dict):
        return None
    for key in _INPUT_KEYS if want is Role.USER else _OUTPUT_KEYS:
        inner = parsed.get(key)
        text = as_str(inner) if isinstance(inner, str) else None
        if text:
            return text
    # A decorated function's {"args": [...], "kwargs": {...}} with one text argument.
    args = parsed.get("args")
    if isinstance(args, list) and len(args) == 1 and isinstance(args[0], str):
        return args[0] or None
    return None


def parse_output_messages(value: AnyValue) -> tuple[Message, ...] | None:
    """Model output: messages, a response body, or text (one assistant message)."""
    messages = parse_messages(value, Role.ASSISTANT)
    if messages:
        return messages
    text = payload_text(value, Role.ASSISTANT)
    return (Message(Role.ASSISTANT, (text_part(text),)),) if text else messages


def parse_input_messages(value: AnyValue) -> tuple[Message, ...] | None:
    """Model input: messages, a request body, or text (one user message)."""
    messages = parse_messages(value, Role.USER)
    if messages:
        return messages
    text = payload_text(value, Role.USER)
    return (Message(Role.USER, (text_part(text),)),) if text else messages


def joined_text(value: AnyValue) -> str | None:
    """System instructions and similar: a string, or the text of a list of parts."""
    if isinstance(value, str):
        parsed = json_container(value)
        if parsed is None:
            return value or None
        value = parsed
    parts = parse_content(value) if isinstance(value, list | dict) else []
    texts = [p.text for p in parts if p.type is PartType.TEXT and p.text]
    return "\n".join(t for t in texts if t) or None


def last_user_text(messages: Iterable[Message]) -> str | None:
    """The text of the last user message that has text (tool results are skipped)."""
    for message in reversed(list(messages)):
        if message.role is Role.USER and message.text:
            return message.text
    return None


def system_text(messages: Iterable[Message]) -> str | None:
    """The text of the system messages, joined by newlines."""
    texts = [m.text for m in messages if m.role is Role.SYSTEM and m.text]
    return "\n".join(t for t in texts if t) or None
