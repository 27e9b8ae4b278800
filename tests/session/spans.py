"""Small builders of GenAI-shaped spans for session tests."""

from __future__ import annotations

import json
from typing import Any

from otel_replay.core.records import AnyValue, Span
from tests.builders import SECOND, make_span


def text(role: str, content: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


def tool_request(call_id: str | None, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "tool_call", "name": name, "arguments": arguments}
    if call_id is not None:
        part["id"] = call_id
    return {"role": "assistant", "parts": [part]}


def tool_response(call_id: str | None, result: Any, name: str | None = None) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "tool_call_response", "response": result}
    if call_id is not None:
        part["id"] = call_id
    if name is not None:
        part["name"] = name
    return {"role": "tool", "parts": [part]}


def chat(
    trace: int,
    span: int,
    parent: int | None,
    start: float,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    **attributes: AnyValue,
) -> Span:
    """A `chat` span; `start` in seconds from T0."""
    attrs: dict[str, AnyValue] = {"gen_ai.operation.name": "chat", **attributes}
    if inputs is not None:
        attrs["gen_ai.input.messages"] = json.dumps(inputs)
    if outputs is not None:
        attrs["gen_ai.output.messages"] = json.dumps(outputs)
    return make_span(
        trace,
        span,
        parent,
        name="chat m",
        start=int(start * SECOND),
        duration=SECOND // 2,
        attributes=attrs,
    )


def execute_tool(
    trace: int, span: int, parent: int | None, start: float, name: str, **attributes: AnyValue
) -> Span:
    attrs: dict[str, AnyValue] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        **attributes,
    }
    return make_span(
        trace,
        span,
        parent,
        name=f"execute_tool {name}",
        start=int(start * SECOND),
        duration=SECOND // 4,
        attributes=attrs,
    )


def agent(
    trace: int, span: int, start: float, duration: float = 10, **attributes: AnyValue
) -> Span:
    attrs: dict[str, AnyValue] = {"gen_ai.operation.name": "invoke_agent", **attributes}
    return make_span(
        trace,
        span,
        None,
        name="invoke_agent a",
        start=int(start * SECOND),
        duration=int(duration * SECOND),
        attributes=attrs,
    )
