"""Pure: a Conversation as JSON-ready data (what `otel-replay session --json` prints)."""

from __future__ import annotations

from typing import Any

from otel_replay.core.values import to_json_value
from otel_replay.semconv.model import Conversation, LlmCall, ToolCall, Turn


def _llm(call: LlmCall) -> dict[str, Any]:
    return {
        "span_id": call.span_id,
        "request_model": call.request_model,
        "response_model": call.response_model,
        "input_tokens": call.usage.input_tokens,
        "output_tokens": call.usage.output_tokens,
        "finish": call.finish.value if call.finish else None,
        "response_id": call.response_id,
        "duration_ms": (call.end_unix_nano - call.start_unix_nano) / 1e6,
    }


def _tool(tool: ToolCall) -> dict[str, Any]:
    return {
        "name": tool.name,
        "call_id": tool.call_id,
        "arguments": to_json_value(tool.arguments),
        "result": to_json_value(tool.result),
        "error": tool.error,
        "linked_by": tool.linked_by.value,
        "span_id": tool.execution_span_id,
    }


def turn_to_json(turn: Turn) -> dict[str, Any]:
    return {
        "index": turn.index,
        "trace_id": turn.trace_id,
        "span_id": turn.span_id,
        "user": turn.user_text,
        "assistant": turn.assistant_text,
        "latency_ms": turn.latency_unix_nano / 1e6,
        "time_to_first_token_ms": (
            turn.time_to_first_token_unix_nano / 1e6
            if turn.time_to_first_token_unix_nano is not None
            else None
        ),
        "input_tokens": turn.usage.input_tokens,
        "output_tokens": turn.usage.output_tokens,
        "llm_calls": [_llm(c) for c in turn.llm_calls],
        "tool_calls": [_tool(t) for t in turn.tool_calls],
        "errors": [
            {"span_id": e.span_id, "name": e.name, "message": e.message} for e in turn.errors
        ],
        "notes": list(turn.notes),
    }


def conversation_to_json(conversation: Conversation) -> dict[str, Any]:
    agent = conversation.agent
    return {
        "session_id": conversation.session_id,
        "user_id": conversation.user_id,
        "trace_ids": list(conversation.trace_ids),
        "agent": {
            "name": agent.name,
            "model": agent.model,
            "provider": agent.provider,
            "system_prompt": agent.system_prompt,
            "tools": [t.name for t in agent.tools],
        },
        "turns": [turn_to_json(t) for t in conversation.turns],
        "input_tokens": conversation.usage.input_tokens,
        "output_tokens": conversation.usage.output_tokens,
        "notes": list(conversation.notes),
    }
