"""The Anthropic Messages shape (`POST /v1/messages`): pure mapping.

Requests: `system` (a string or text blocks) becomes the system message; a user message's
`tool_result` blocks become tool messages (before the text the same message carries, as
the API requires results first); an assistant message's `tool_use` blocks become its tool
calls. Thinking blocks are not compared.

Answers: a text block, then one `tool_use` block per tool call. Streams send
`message_start`, each block's `content_block_start`/delta/`content_block_stop`
(`text_delta`s a word at a time, `input_json_delta`s a token-sized piece at a time),
`message_delta` with the stop reason and output tokens, and `message_stop`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from otel_replay.scenario.model import ScenarioMessage, ToolCallRequest, ToolSpec
from otel_replay.semconv.model import FinishReason, Role
from otel_replay.standin.model import LlmAnswer, LlmRequest, ProviderApi
from otel_replay.standin.shapes import (
    ProviderShape,
    RequestShapeError,
    anthropic_error,
    argument_pieces,
    arguments_object,
    arguments_text,
    content_text,
    int_or_none,
    iter_sse_data,
    parameters_of,
    parse_arguments,
    response_id,
    sse_event,
    text_pieces,
    tokens,
)

STOP_REASONS: dict[FinishReason, str] = {
    FinishReason.STOP: "end_turn",
    FinishReason.TOOL_CALL: "tool_use",
    FinishReason.LENGTH: "max_tokens",
    FinishReason.CONTENT_FILTER: "refusal",
}
_STOPS_READ = {v: k for k, v in STOP_REASONS.items()} | {"stop_sequence": FinishReason.STOP}


def _blocks(content: object) -> list[Mapping[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise RequestShapeError("a message's 'content' must be a string or a list of blocks")
    return [b for b in content if isinstance(b, Mapping)]


def _tool_use(block: Mapping[str, Any]) -> ToolCallRequest:
    return ToolCallRequest(
        id=block.get("id"),
        name=str(block.get("name") or ""),
        arguments=parse_arguments(block.get("input")),
    )


def _user_messages(blocks: list[Mapping[str, Any]]) -> list[ScenarioMessage]:
    messages = [
        ScenarioMessage(
            role=Role.TOOL,
            content=content_text(block.get("content")),
            tool_call_id=block.get("tool_use_id"),
        )
        for block in blocks
        if block.get("type") == "tool_result"
    ]
    text = content_text([b for b in blocks if b.get("type") == "text"])
    if text is not None or not messages:
        messages.append(ScenarioMessage(role=Role.USER, content=text))
    return messages


def _messages(message: object) -> list[ScenarioMessage]:
    if not isinstance(message, Mapping):
        raise RequestShapeError("each message must be an object")
    blocks = _blocks(message.get("content"))
    if message.get("role") != "assistant":
        return _user_messages(blocks)
    return [
        ScenarioMessage(
            role=Role.ASSISTANT,
            content=content_text([b for b in blocks if b.get("type") == "text"]),
            tool_calls=[_tool_use(b) for b in blocks if b.get("type") == "tool_use"],
        )
    ]


def normalise_request(body: Mapping[str, Any]) -> LlmRequest:
    """A Messages request body as an LlmRequest."""
    if not isinstance(body.get("messages"), list):
        raise RequestShapeError("the body needs a 'messages' list")
    messages = [m for message in body["messages"] for m in _messages(message)]
    system = content_text(body.get("system"))
    if system:
        messages.insert(0, ScenarioMessage(role=Role.SYSTEM, content=system))
    tools = [
        ToolSpec(
            name=str(tool["name"]),
            description=tool.get("description"),
            parameters=tool.get("input_schema"),
        )
        for tool in body.get("tools") or []
        if isinstance(tool, Mapping) and tool.get("name")
    ]
    return LlmRequest(
        model=body.get("model"),
        messages=tuple(messages),
        tools=tuple(tools),
        parameters=parameters_of(body),
    )


def _stop_reason(answer: LlmAnswer) -> str:
    fallback = "tool_use" if answer.tool_calls else "end_turn"
    return STOP_REASONS.get(answer.finish, fallback) if answer.finish else fallback


def _content(answer: LlmAnswer) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if answer.text is not None:
        blocks.append({"type": "text", "text": answer.text})
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": arguments_object(c.arguments)}
        for c in answer.tool_calls
    ]
    return blocks


def render_response(answer: LlmAnswer, model: str | None, serial: str) -> dict[str, Any]:
    """The message object for `answer`."""
    return {
        "id": response_id(answer, "msg_", serial),
        "type": "message",
        "role": "assistant",
        "model": answer.model or model or "standin",
        "content": _content(answer),
        "stop_reason": _stop_reason(answer),
        "stop_sequence": None,
        "usage": {
            "input_tokens": tokens(answer.input_tokens),
            "output_tokens": tokens(answer.output_tokens),
        },
    }


def _block_events(index: int, block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    at = {"index": index}
    if block["type"] == "text":
        yield {"type": "content_block_start", **at, "content_block": {**block, "text": ""}}
        for piece in text_pieces(block["text"]):
            delta = {"type": "text_delta", "text": piece}
            yield {"type": "content_block_delta", **at, "delta": delta}
    else:
        yield {"type": "content_block_start", **at, "content_block": {**block, "input": {}}}
        for piece in argument_pieces(arguments_text(block["input"])):
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield {"type": "content_block_delta", **at, "delta": delta}
    yield {"type": "content_block_stop", **at}


def render_stream(
    answer: LlmAnswer, model: str | None, serial: str, body: Mapping[str, Any]
) -> bytes:
    """The server-sent events of a streamed `answer`."""
    final = render_response(answer, model, serial)
    start_usage = {"input_tokens": final["usage"]["input_tokens"], "output_tokens": 0}
    started = {**final, "content": [], "stop_reason": None, "usage": start_usage}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": started}]
    for index, block in enumerate(final["content"]):
        events.extend(_block_events(index, block))
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": final["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": final["usage"]["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return "".join(sse_event(event, event["type"]) for event in events).encode()


def read_response(body: Mapping[str, Any]) -> LlmAnswer:
    """The answer in a message object."""
    blocks = [b for b in body.get("content") or [] if isinstance(b, Mapping)]
    texts = [str(b.get("text") or "") for b in blocks if b.get("type") == "text"]
    usage = body.get("usage") or {}
    return LlmAnswer(
        text="".join(texts) if texts else None,
        tool_calls=tuple(_tool_use(b) for b in blocks if b.get("type") == "tool_use"),
        finish=_STOPS_READ.get(str(body.get("stop_reason"))),
        input_tokens=int_or_none(usage.get("input_tokens")),
        output_tokens=int_or_none(usage.get("output_tokens")),
        model=body.get("model"),
        response_id=body.get("id"),
    )


def read_stream(raw: bytes) -> LlmAnswer:
    """The message the events of a stream add up to."""
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    for event in iter_sse_data(raw):
        kind = event.get("type")
        if kind == "message_start":
            message = dict(event.get("message") or {})
        elif kind == "content_block_start":
            blocks[event.get("index", 0)] = {**event.get("content_block", {}), "json": ""}
        elif kind == "content_block_delta":
            block, delta = blocks.setdefault(event.get("index", 0), {}), event.get("delta") or {}
            block["text"] = block.get("text", "") + (delta.get("text") or "")
            block["json"] = block.get("json", "") + (delta.get("partial_json") or "")
        elif kind == "message_delta":
            message.update(event.get("delta") or {})
            message["usage"] = {**(message.get("usage") or {}), **(event.get("usage") or {})}
    for block in blocks.values():
        if block.get("type") == "tool_use":
            block["input"] = parse_arguments(block.pop("json"))
    message["content"] = [blocks[i] for i in sorted(blocks)]
    return read_response(message)


SHAPE = ProviderShape(
    api=ProviderApi.ANTHROPIC_MESSAGES,
    upstream_path="/v1/messages",
    normalise_request=normalise_request,
    render_response=render_response,
    render_stream=render_stream,
    render_error=anthropic_error,
    read_response=read_response,
    read_stream=read_stream,
)
