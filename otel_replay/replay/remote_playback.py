"""Answering a tool call of an agent service from the replay's recording (`POST
/v1/tools/call` on the replay bridge).

The call is tied to its replay turn as an in-process sealed call is (`sealing`), by the
request's `traceparent`, and matched by the turn's `ToolPlayback`; its span is the tool
wrapper's (`execute_tool NAME` in the tool tracer's scope, source `recorded`, linked to the
recorded call), under the caller's span, so the run counts the call as recorded and the
tripwire as sealed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Status, StatusCode
from pydantic import JsonValue

from otel_replay.core.values import to_json_value
from otel_replay.replay.capture import ensure_capture
from otel_replay.replay.matchers import RecordedToolCall, ToolDivergence
from otel_replay.replay.remote_protocol import (
    RecordedRef,
    ToolAnswer,
    ToolAnswerKind,
    ToolCallRequest,
)
from otel_replay.replay.sealing import UnattributedToolCallError, resolve_playback
from otel_replay.replay.tools import replay_link
from otel_replay.semconv.attributes import GenAI
from otel_replay.semconv.keys import (
    REPLAY_TOOL_DIVERGENCE,
    REPLAY_TOOL_SOURCE,
    REPLAY_TOOL_TRACER_NAME,
)

if TYPE_CHECKING:
    from opentelemetry.context import Context


def serve_tool_call(request: ToolCallRequest, carrier: Mapping[str, str]) -> ToolAnswer:
    """Answer a remote tool call from the recording of the turn its `traceparent` (in
    `carrier`, the request headers) belongs to; without one, the only running replay's.

    Matched as an in-process sealed call is (`sealing.resolve_playback`, the turn's
    `ToolPlayback`); its span is the tool wrapper's (`execute_tool NAME` in the tool
    tracer's scope, source `recorded`, linked to the recorded call), under the caller's span."""
    token = otel_context.attach(propagate.extract(carrier))
    try:
        try:
            resolution = resolve_playback(request.name)
        except UnattributedToolCallError as exc:
            return ToolAnswer(ToolAnswerKind.UNATTRIBUTED, message=str(exc))
        playback = resolution.playback
        if playback is None and not ensure_capture().is_capturing():
            return ToolAnswer(
                ToolAnswerKind.NO_REPLAY,
                message=f"tool {request.name} was called, but no replay is running",
            )
        if playback is None:
            return ToolAnswer(ToolAnswerKind.LIVE)
        _, found = playback.call(request.name, request.arguments)
        if found is None:
            return ToolAnswer(ToolAnswerKind.LIVE)
        answer = _answer_from(found)
        if request.record_span:
            _record_tool_span(request, found, answer, resolution.parent)
        return answer
    finally:
        otel_context.detach(token)


def _answer_from(found: RecordedToolCall | ToolDivergence) -> ToolAnswer:
    if isinstance(found, ToolDivergence):
        closest = tuple(
            {
                "name": near.recorded.name,
                "arguments": to_json_value(near.recorded.arguments),
                "differences": list[JsonValue](near.differences),
            }
            for near in found.closest
        )
        return ToolAnswer(ToolAnswerKind.UNMATCHED, message=found.describe(), closest=closest)
    ref = RecordedRef(found.call_id, found.trace_id, found.span_id)
    if found.error:
        return ToolAnswer(ToolAnswerKind.ERROR, message=found.error, recorded=ref)
    return ToolAnswer(ToolAnswerKind.RESULT, result=to_json_value(found.result), recorded=ref)


def _record_tool_span(
    request: ToolCallRequest,
    found: RecordedToolCall | ToolDivergence,
    answer: ToolAnswer,
    parent: Context | None,
) -> None:
    attributes: dict[str, str] = {
        GenAI.OPERATION_NAME: "execute_tool",
        GenAI.TOOL_NAME: request.name,
        GenAI.TOOL_TYPE: "function",
        GenAI.TOOL_CALL_ARGUMENTS: json.dumps(request.arguments, ensure_ascii=False),
    }
    links = []
    if isinstance(found, RecordedToolCall):
        attributes[REPLAY_TOOL_SOURCE] = "recorded"
        if found.call_id:
            attributes[GenAI.TOOL_CALL_ID] = found.call_id
        link = replay_link(found.trace_id, found.span_id)
        links = [link] if link is not None else []
    tracer = trace.get_tracer(REPLAY_TOOL_TRACER_NAME)
    with tracer.start_as_current_span(
        f"execute_tool {request.name}", parent, attributes=attributes, links=links
    ) as span:
        if answer.kind is ToolAnswerKind.RESULT:
            result = answer.result
            text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
            span.set_attribute(GenAI.TOOL_CALL_RESULT, text)
            return
        if isinstance(found, ToolDivergence):
            span.set_attribute(REPLAY_TOOL_DIVERGENCE, answer.message)
        span.set_status(Status(StatusCode.ERROR, answer.message))


__all__ = ["serve_tool_call"]
