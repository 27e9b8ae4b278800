from __future__ import annotations

import asyncio
import json

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_replay.replay.matchers import RecordedToolCall, ToolMatchMode, ToolPlayback
from otel_replay.replay.tools import (
    RecordedToolError,
    UnmatchedToolCallError,
    tool,
    tool_playback,
)

RAN: list[str] = []


@tool
def check_status(order_id: str) -> dict[str, str]:
    RAN.append(f"check_status {order_id}")
    return {"status": "shipped"}


@tool(name="refund")
async def issue_refund(order_id: str, amount: float = 0.0) -> str:
    RAN.append(f"refund {order_id}")
    return "refunded"


RECORDED = [
    RecordedToolCall(
        "check_status", {"order_id": "123"}, {"status": "lost"}, None, "call_1", "a" * 32, "b" * 16
    ),
    RecordedToolCall(
        "refund", {"order_id": "123"}, None, "card declined", "call_2", "a" * 32, "c" * 16
    ),
]


@pytest.fixture(autouse=True)
def _clear_ran() -> None:
    RAN.clear()


def test_outside_a_replay_the_tool_runs_and_emits_an_execute_tool_span(
    finished_spans: InMemorySpanExporter,
) -> None:
    assert check_status("9") == {"status": "shipped"}
    assert RAN == ["check_status 9"]
    (span,) = finished_spans.get_finished_spans()
    assert span.name == "execute_tool check_status"
    assert span.attributes is not None
    assert span.attributes["gen_ai.operation.name"] == "execute_tool"
    assert json.loads(str(span.attributes["gen_ai.tool.call.arguments"])) == {"order_id": "9"}
    assert json.loads(str(span.attributes["gen_ai.tool.call.result"])) == {"status": "shipped"}


def test_sealed_tool_serves_the_recorded_result_and_never_runs(
    finished_spans: InMemorySpanExporter,
) -> None:
    playback = ToolPlayback(0, RECORDED)
    with tool_playback(playback):
        assert check_status("123") == {"status": "lost"}
    assert RAN == []
    (span,) = finished_spans.get_finished_spans()
    (link,) = span.links
    assert (f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}") == ("a" * 32, "b" * 16)
    assert link.attributes == {"otel_replay.link.type": "replay_of"}
    assert span.attributes is not None
    assert span.attributes["gen_ai.tool.call.id"] == "call_1"


def test_recorded_error_is_raised_again_for_async_tools(
    finished_spans: InMemorySpanExporter,
) -> None:
    playback = ToolPlayback(0, RECORDED)
    with tool_playback(playback), pytest.raises(RecordedToolError, match="card declined"):
        asyncio.run(issue_refund("123"))
    assert RAN == []


def test_strict_mismatch_raises_a_divergence_naming_the_closest_call(
    finished_spans: InMemorySpanExporter,
) -> None:
    playback = ToolPlayback(3, RECORDED)
    with tool_playback(playback), pytest.raises(UnmatchedToolCallError) as caught:
        check_status("124")
    message = str(caught.value)
    assert message.startswith("turn 4: check_status")
    assert 'order_id="124" (recorded "123")' in message
    assert playback.divergences[0].closest[0].recorded.call_id == "call_1"
    assert RAN == []


def test_lenient_mode_matches_by_name_and_order_not_arguments(
    finished_spans: InMemorySpanExporter,
) -> None:
    playback = ToolPlayback(0, RECORDED, ToolMatchMode.LENIENT)
    with tool_playback(playback):
        assert check_status("999") == {"status": "lost"}
        with pytest.raises(UnmatchedToolCallError, match=r"already served|recorded as #1"):
            check_status("999")


def test_live_tools_run_for_real_inside_a_replay(finished_spans: InMemorySpanExporter) -> None:
    playback = ToolPlayback(0, RECORDED, live_tools=frozenset({"check_status"}))
    with tool_playback(playback):
        assert check_status("123") == {"status": "shipped"}
    assert RAN == ["check_status 123"]
    (span,) = finished_spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["otel_replay.tool.source"] == "live"
