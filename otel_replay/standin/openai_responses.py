"""The OpenAI Responses shape (`POST /v1/responses`): pure mapping.

Requests: `instructions` becomes the system message; `input` is a string (one user message)
or a list of items: messages (`input_text`/`output_text` parts), `function_call` items
(joined to the assistant message before them, as Chat Completions holds them) and
`function_call_output` items (tool messages). Other items (reasoning) are not compared.

Answers: a `message` output item with the text, then one `function_call` item per tool call.
Streams send `response.created`, `response.in_progress`, each item's `added`/delta/`done`
events, and `response.completed` (`response.incomplete` when the answer was cut short),
numbered by `sequence_number`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from otel_replay.scenario.model import ScenarioMessage, ToolCallRequest, ToolSpec
from otel_replay.semconv.model import FinishReason, Role
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

# Why an incomplete response stopped, by finish reason; other answers are "completed".
INCOMPLETE_REASONS: dict[FinishReason, str] = {
    FinishReason.LENGTH: "max_output_tokens",
    FinishReason.CONTENT_FILTER: "content_filter",
}


def _append_call(messages: list[ScenarioMessage], call: ToolCallRequest) -> None:
    last = messages[-1] if messages else None
    if last is not None and last.role == Role.ASSISTANT and last.tool_call_id is None:
        messages[-1] = last.model_copy(update={"tool_calls": [*last.tool_calls, call]})
    else:
        messages.append(ScenarioMessage(role=Role.ASSISTANT, tool_calls=[call]))


def _messages(items: object) -> list[ScenarioMessage]:
    if isinstance(items, str):
        return [ScenarioMessage(role=Role.USER, content=items)]
    if not isinstance(items, list):
        raise RequestShapeError("'input' must be a string or a list of items")
    messages: list[ScenarioMessage] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise RequestShapeError("each 'input' item must be an object")
        kind = item.get("type", "message")
        if kind == "function_call":
            call = ToolCallRequest(
                id=item.get("call_id"),
                name=str(item.get("name") or ""),
                arguments=parse_arguments(item.get("arguments")),
            )
            _append_call(messages, call)
        elif kind == "function_call_output":
            output = item.get("output")
            messages.append(
                ScenarioMessage(
                    role=Role.TOOL,
                    content=content_text(output),
                    tool_call_id=item.get("call_id"),
                )
            )
        elif kind == "message":
            messages.append(
                ScenarioMessage(
                    role=role_of(item.get("role")), content=content_text(item.get("content"))
                )
            )
    return messages


def normalise_request(body: Mapping[str, Any]) -> LlmRequest:
    """A Responses request body as an LlmRequest."""
    if "input" not in body:
        raise RequestShapeError("the body needs an 'input'")
    messages = _messages(body.get("input"))
    instructions = content_text(body.get("instructions"))
    if instructions:
        messages.insert(0, ScenarioMessage(role=Role.SYSTEM, content=instructions))
    tools = [
        ToolSpec(
            name=str(tool["name"]),
            description=tool.get("description"),
            parameters=tool.get("parameters"),
        )
        for tool in body.get("tools") or []
        if isinstance(tool, Mapping) and tool.get("type") == "function" and tool.get("name")
    ]
    return LlmRequest(
        model=body.get("model"),
        messages=tuple(messages),
        tools=tuple(tools),
        parameters=parameters_of(body),
    )


def _output_items(answer: LlmAnswer, serial: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if answer.text is not None:
        text_part = {"type": "output_text", "text": answer.text, "annotations": []}
        items.append(
            {
                "type": "message",
                "id": f"msg_standin-{serial}",
                "status": "completed",
                "role": "assistant",
                "content": [text_part],
            }
        )
    for n, call in enumerate(answer.tool_calls):
        items.append(
            {
                "type": "function_call",
                "id": f"fc_standin-{serial}-{n}",
                "call_id": call.id,
                "name": call.name,
                "arguments": arguments_text(call.arguments),
                "status": "completed",
            }
        )
    return items


def render_response(answer: LlmAnswer, model: str | None, serial: str) -> dict[str, Any]:
    """The response object for `answer`."""
    incomplete = INCOMPLETE_REASONS.get(answer.finish) if answer.finish else None
    prompt, completion = tokens(answer.input_tokens), tokens(answer.output_tokens)
    return {
        "id": response_id(answer, "resp_", serial),
        "object": "response",
        "created_at": CREATED_UNIX,
        "status": "incomplete" if incomplete else "completed",
        "model": answer.model or model or "standin",
        "output": _output_items(answer, serial),
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        },
        "error": None,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
    }


def _item_events(item: dict[str, Any], output_index: int) -> Iterator[dict[str, Any]]:
    at = {"output_index": output_index}
    if item["type"] == "message":
        text = item["content"][0]["text"]
        started = {**item, "content": [], "status": "in_progress"}
        yield {"type": "response.output_item.added", **at, "item": started}
        part_at = {"item_id": item["id"], **at, "content_index": 0}
        empty = {"type": "output_text", "text": "", "annotations": []}
        yield {"type": "response.content_part.added", **part_at, "part": empty}
        for piece in text_pieces(text):
            yield {"type": "response.output_text.delta", **part_at, "delta": piece, "logprobs": []}
        yield {"type": "response.output_text.done", **part_at, "text": text, "logprobs": []}
        yield {"type": "response.content_part.done", **part_at, "part": item["content"][0]}
    else:
        started = {**item, "arguments": "", "status": "in_progress"}
        yield {"type": "response.output_item.added", **at, "item": started}
        call_at = {"item_id": item["id"], **at}
        for piece in argument_pieces(item["arguments"]):
            yield {"type": "response.function_call_arguments.delta", **call_at, "delta": piece}
        yield {
            "type": "response.function_call_arguments.done",
            **call_at,
            "name": item["name"],
            "arguments": item["arguments"],
        }
    yield {"type": "response.output_item.done", **at, "item": item}


def render_stream(
    answer: LlmAnswer, model: str | None, serial: str, body: Mapping[str, Any]
) -> bytes:
    """The server-sent events of a streamed `answer`."""
    final = render_response(answer, model, serial)
    started = {**final, "status": "in_progress", "output": [], "incomplete_details": None}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    for index, item in enumerate(final["output"]):
        events.extend(_item_events(item, index))
    done = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
    events.append({"type": done, "response": final})
    return "".join(
        sse_event({**event, "sequence_number": n}, event["type"]) for n, event in enumerate(events)
    ).encode()


def read_response(body: Mapping[str, Any]) -> LlmAnswer:
    """The answer in a response object."""
    texts: list[str] = []
    calls: list[ToolCallRequest] = []
    for item in body.get("output") or []:
        if item.get("type") == "message":
            texts.extend(p.get("text") or "" for p in item.get("content") or [])
        elif item.get("type") == "function_call":
            calls.append(
                ToolCallRequest(
                    id=item.get("call_id"),
                    name=str(item.get("name") or ""),
                    arguments=parse_arguments(item.get("arguments")),
                )
            )
    reason = (body.get("incomplete_details") or {}).get("reason")
    finish = next((f for f, r in INCOMPLETE_REASONS.items() if r == reason), None)
    usage = body.get("usage") or {}
    return LlmAnswer(
        text="".join(texts) if texts else None,
        tool_calls=tuple(calls),
        finish=finish or (FinishReason.TOOL_CALL if calls else FinishReason.STOP),
        input_tokens=int_or_none(usage.get("input_tokens")),
        output_tokens=int_or_none(usage.get("output_tokens")),
        model=body.get("model"),
        response_id=body.get("id"),
    )


def read_stream(raw: bytes) -> LlmAnswer:
    """The answer of a stream: the response its last event carries."""
    final: Mapping[str, Any] = {}
    for event in iter_sse_data(raw):
        if isinstance(event.get("response"), Mapping):
            final = event["response"]
    return read_response(final)


SHAPE = ProviderShape(
    api=ProviderApi.OPENAI_RESPONSES,
    upstream_path="/responses",
    normalise_request=normalise_request,
    render_response=render_response,
    render_stream=render_stream,
    render_error=openai_error,
    read_response=read_response,
    read_stream=read_stream,
)
