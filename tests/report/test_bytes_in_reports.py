"""Bytes in span attributes are standard base64 text in reports, as everywhere else."""

from __future__ import annotations

import json

from otel_replay.core.records import AnyValue, Span
from otel_replay.report import build_comparison_report
from otel_replay.report.json_report import render_json
from otel_replay.semconv.attributes import GenAI
from otel_replay.session.turns import build_conversation
from tests.session.spans import agent, chat, execute_tool, text, tool_request


def _spans(blob: AnyValue) -> list[Span]:
    return [
        agent(1, 10, start=0),
        chat(1, 11, 10, 1, [text("user", "q")], [tool_request("c1", "blob", {})]),
        execute_tool(
            1,
            12,
            10,
            2,
            "blob",
            **{GenAI.TOOL_CALL_ID: "c1", GenAI.TOOL_CALL_RESULT: blob, "app.blob": blob},
        ),
    ]


def test_a_changed_bytes_attribute_shows_as_base64_in_the_json_report() -> None:
    original, replay = _spans(b"\x00\x02"), _spans(b"\x00\x01")
    report = build_comparison_report(
        build_conversation("s", original, []),
        build_conversation("s", replay, []),
        original,
        replay,
    )
    text_ = render_json([report])
    (tool,) = [
        node
        for node in json.loads(text_)["reports"][0]["span_tree"]["rows"]
        if node["attribute_changes"] or node["output_changes"]
    ]
    changes = [(c["key"], c["original"], c["replay"]) for c in tool["attribute_changes"]]
    assert changes == [("app.blob", "AAI=", "AAE=")]
    outputs = [(c["key"], c["original"], c["replay"]) for c in tool["output_changes"]]
    assert outputs == [(GenAI.TOOL_CALL_RESULT, "AAI=", "AAE=")]
    assert '"0002"' not in text_ and '"0001"' not in text_
