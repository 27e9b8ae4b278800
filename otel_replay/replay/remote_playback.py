"""Answering a tool call of an agent service from the replay's recording (`POST
/v1/tools/call` on the replay bridge).

The call goes through `tools.SealedCall`, as every sealed tool does: tied to its replay
turn by the request's `traceparent` (`sealing`), matched by the turn's `ToolPlayback`, and
recorded as the tool wrapper's span (`execute_tool NAME` in the tool tracer's scope, source
`recorded`, linked to the recorded call) under the caller's span, so the run counts the call
as recorded and the tripwire as sealed.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from pydantic import JsonValue

from otel_replay.core.values import to_json_value
from otel_replay.replay.capture import ensure_capture
from otel_replay.replay.matchers import RecordedToolCall
from otel_replay.replay.remote_protocol import (
    RecordedRef,
    ToolAnswer,
    ToolAnswerKind,
    ToolCallRequest,
)
from otel_replay.replay.tools import (
    RecordedToolError,
    SealedCall,
    UnattributedToolCallError,
    UnmatchedToolCallError,
)


def serve_tool_call(request: ToolCallRequest, carrier: Mapping[str, str]) -> ToolAnswer:
    """Answer a remote tool call from the recording of the turn its `traceparent` (in
    `carrier`, the request headers) belongs to; without one, the only running replay's."""
    token = otel_context.attach(propagate.extract(carrier))
    try:
        try:
            call = SealedCall(request.name, request.arguments)
        except UnattributedToolCallError as exc:
            return ToolAnswer(ToolAnswerKind.UNATTRIBUTED, message=str(exc))
        if call.playback is None and not ensure_capture().is_capturing():
            return ToolAnswer(
                ToolAnswerKind.NO_REPLAY,
                message=f"tool {request.name} was called, but no replay is running",
            )
        if not call.sealed:
            return ToolAnswer(ToolAnswerKind.LIVE)
        return _recorded_answer(call, request.record_span)
    finally:
        otel_context.detach(token)


def _recorded_answer(call: SealedCall, record_span: bool) -> ToolAnswer:
    recorded = call.recorded
    ref = (
        RecordedRef(recorded.call_id, recorded.trace_id, recorded.span_id)
        if isinstance(recorded, RecordedToolCall)
        else None
    )
    try:
        result = call.answer() if record_span else call.recorded_result(trace.INVALID_SPAN)
    except UnmatchedToolCallError as exc:
        closest = tuple(
            {
                "name": near.recorded.name,
                "arguments": to_json_value(near.recorded.arguments),
                "differences": list[JsonValue](near.differences),
            }
            for near in exc.divergence.closest
        )
        return ToolAnswer(ToolAnswerKind.UNMATCHED, message=str(exc), closest=closest)
    except RecordedToolError as exc:
        return ToolAnswer(ToolAnswerKind.ERROR, message=str(exc), recorded=ref)
    return ToolAnswer(ToolAnswerKind.RESULT, result=to_json_value(result), recorded=ref)


__all__ = ["serve_tool_call"]
