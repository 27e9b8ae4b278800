"""The OpenAI Chat Completions shape (`POST /v1/chat/completions`): pure mapping.

Streams follow OpenAI's: a first chunk with the role, the text a word at a time, each tool
call as a delta keyed by its `index` with id, name and empty arguments, then deltas of that
index carrying the arguments a token-sized piece at a time, a chunk with the finish reason,
and with `stream_options.include_usage` a last chunk with no choices and the usage (every
earlier chunk then carries `"usage": null`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from otel_replay.scenario.model import ScenarioMessage, ToolCallRequest, ToolSpec
from otel_replay.semconv.model import FinishReason
from otel_replay.standin.model import LlmAnswer, LlmRequest, ProviderApi
from otel_replay.standin.shapes import (
    CREATED_UNIX,
    ProviderShape,
    RequestShapeError,
    argument_pieces,
    arguments_text,
    content_text,
    int_or_none,
    iter_sse_data,
    openai_error,
    parameters_of,
    parse_arguments,
    response_id,
    role_of,
    sse_event,
    text_pieces,
    tokens,
)

FINISH_REASONS: dict[FinishReason, str] = {
    FinishReason.STOP: "stop",
    FinishReason.TOOL_CALL: "tool_calls",
    FinishReason.LENGTH: "length",
    FinishReason.CONTENT_FILTER: "content_filter",
}
_FINISHES_READ = {v: k for k, v in FINISH_REASONS.items()} | {
    "function_call": FinishReason.TOOL_CALL
}


def _tool_calls(message: Mapping[str, Any]) -> list[ToolCallRequest]:
    calls = list(message.get("tool_calls") or [])
    if isinstance(message.get("function_call"), Mapping):
        calls.append({"function": message["function_call"]})
    return [
        ToolCallRequest(
            id=call.get("id"),
            name=str(function.get("name") or ""),
            arguments=parse_arguments(function.get("arguments")),
        )
        for call in calls
        if isinstance(call, Mapping)
        for function in [call.get("function") or {}]
    ]


def _message(message: Any) -> ScenarioMessage:
    if not isinstance(message, Mapping):
        raise RequestShapeError(f"a message must be an object, not {type(message).__name__}")
    return ScenarioMessage(
        role=role_of(message.get("role")),
        content=content_text(message.get("content")),
        tool_calls=_tool_calls(message),
        tool_call_id=message.get("tool_call_id"),
    )


def _tool(tool: Any) -> ToolSpec | None:
    function = tool.get("function") if isinstance(tool, Mapping) else None
    if not isinstance(function, Mapping) or not function.get("name"):
        return None
    return ToolSpec(
        name=str(function["name"]),
        description=function.get("description"),
        parameters=function.get("parameters"),
    )


def normalise_request(body: Mapping[str, Any]) -> LlmRequest:
    """A chat completions request body as an LlmRequest."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise RequestShapeError("the body needs a 'messages' list")
    tools = [_tool(t) for t in body.get("tools") or []]
    tools += [_tool({"function": f}) for f in body.get("functions") or []]
    return LlmRequest(
        model=body.get("model"),
        messages=tuple(_message(m) for m in messages),
        tools=tuple(t for t in tools if t is not None),
        parameters=parameters_of(body),
    )


def _finish(answer: LlmAnswer) -> str:
    fallback = "tool_calls" if answer.tool_calls else "stop"
    return FINISH_REASONS.get(answer.finish, fallback) if answer.finish else fallback


def _usage(answer: LlmAnswer) -> dict[str, int]:
    prompt, completion = tokens(answer.input_tokens), tokens(answer.output_tokens)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _head(answer: LlmAnswer, model: str | None, serial: str) -> dict[str, Any]:
    return {
        "id": response_id(answer, "chatcmpl-", serial),
        "created": CREATED_UNIX,
        "model": answer.model or model or "standin",
    }


def render_response(answer: LlmAnswer, model: str | None, serial: str) -> dict[str, Any]:
    """The chat.completion object for `answer`."""
    message: dict[str, Any] = {"role": "assistant", "content": answer.text, "refusal": None}
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": arguments_text(call.arguments)},
            }
            for call in answer.tool_calls
        ]
    return {
        **_head(answer, model, serial),
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": message, "finish_reason": _finish(answer), "logprobs": None}
        ],
        "usage": _usage(answer),
    }


def _chunks(
    answer: LlmAnswer, model: str | None, serial: str, include_usage: bool
) -> Iterator[dict[str, Any]]:
    head = {**_head(answer, model, serial), "object": "chat.completion.chunk"}
    usage_field: dict[str, Any] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**head, "choices": [choice], **usage_field}

    # As OpenAI does: an answer with no text opens with a null content, not an empty one.
    first_content = "" if answer.text is not None else None
    yield chunk({"role": "assistant", "content": first_content, "refusal": None})
    for piece in text_pieces(answer.text):
        yield chunk({"content": piece})
    for index, call in enumerate(answer.tool_calls):
        opening = {"index": index, "id": call.id, "type": "function"}
        yield chunk({"tool_calls": [{**opening, "function": {"name": call.name, "arguments": ""}}]})
        for piece in argument_pieces(arguments_text(call.arguments)):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, _finish(answer))
    if include_usage:
        yield {**head, "choices": [], "usage": _usage(answer)}


def render_stream(
    answer: LlmAnswer, model: str | None, serial: str, body: Mapping[str, Any]
) -> bytes:
    """The server-sent events of a streamed `answer`, ending in `data: [DONE]`."""
    options = body.get("stream_options")
    include_usage = isinstance(options, Mapping) and bool(options.get("include_usage"))
    events = [sse_event(c) for c in _chunks(answer, model, serial, include_usage)]
    return ("".join(events) + sse_event("[DONE]")).encode()


def _answer(
    text: str | None,
    calls: list[dict[str, Any]],
    finish: object,
    usage: object,
    head: Mapping[str, Any],
) -> LlmAnswer:
    usage = usage if isinstance(usage, Mapping) else {}
    return LlmAnswer(
        text=text,
        tool_calls=tuple(_tool_calls({"tool_calls": calls})),
        finish=_FINISHES_READ.get(str(finish)) if finish else None,
        input_tokens=int_or_none(usage.get("prompt_tokens")),
        output_tokens=int_or_none(usage.get("completion_tokens")),
        model=head.get("model"),
        response_id=head.get("id"),
    )


def read_response(body: Mapping[str, Any]) -> LlmAnswer:
    """The answer in a chat.completion object (its first choice)."""
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    return _answer(
        content_text(message.get("content")),
        list(message.get("tool_calls") or []),
        choice.get("finish_reason"),
        body.get("usage"),
        body,
    )


def read_stream(raw: bytes) -> LlmAnswer:
    """The answer the chunks of a stream add up to (first choice)."""
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish: object = None
    usage: object = None
    head: dict[str, Any] = {}
    for chunk in iter_sse_data(raw):
        head = head or {"model": chunk.get("model"), "id": chunk.get("id")}
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            text.append(delta.get("content") or "")
            finish = choice.get("finish_reason") or finish
            for part in delta.get("tool_calls") or []:
                call = calls.setdefault(part.get("index", 0), {"function": {}})
                call["id"] = part.get("id") or call.get("id")
                function = part.get("function") or {}
                for key in ("name", "arguments"):
                    call["function"][key] = call["function"].get(key, "") + (
                        function.get(key) or ""
                    )
    return _answer("".join(text) or None, [calls[i] for i in sorted(calls)], finish, usage, head)


SHAPE = ProviderShape(
    api=ProviderApi.OPENAI_CHAT,
    upstream_path="/chat/completions",
    normalise_request=normalise_request,
    render_response=render_response,
    render_stream=render_stream,
    render_error=openai_error,
    read_response=read_response,
    read_stream=read_stream,
)
