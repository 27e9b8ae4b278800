"""`otel-replay trace`: the span tree with durations, orphans and links, as text and JSON."""

from __future__ import annotations

import dataclasses
import json

from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.core.records import Resource, Scope, SpanLink
from otel_replay.store import open_store
from tests.builders import SECOND, batch_of, make_span


def test_trace_shows_the_tree_orphans_and_links(sqlite_url: str) -> None:
    root = make_span(1, 1, name="agent", duration=3 * SECOND)
    child = make_span(1, 2, 1, name="chat", start=SECOND)
    linked = type(child)(
        **{**child.__dict__, "span_id": f"{3:016x}", "links": (SpanLink("ab" * 16, "cd" * 8),)}
    )
    orphan = make_span(1, 4, 99, name="late tool")
    store = open_store(sqlite_url)
    store.write([batch_of(root, child, linked, orphan)], [])
    store.close()
    trace_id = f"{1:032x}"
    text = CliRunner().invoke(cli, ["trace", trace_id, "--store", sqlite_url])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0] == f"trace {trace_id}"
    assert any("agent 3.00s" in line for line in lines)
    assert any("chat 1.00s" in line and "↪ 1 link(s)" in line for line in lines)
    assert any("late tool" in line and "(orphan)" in line for line in lines)
    data = json.loads(
        CliRunner().invoke(cli, ["trace", trace_id, "--store", sqlite_url, "--json"]).output
    )
    by_name = {span["name"]: span for span in data["spans"]}
    agent, late = by_name["agent"], by_name["late tool"]
    assert [c["name"] for c in agent["children"]] == ["chat", "chat"]
    assert late["orphan"] is True
    assert agent["children"][1]["links"][0]["trace_id"] == "ab" * 16


def test_trace_json_keeps_resource_and_scope_attributes(sqlite_url: str) -> None:
    span = make_span(2, 1, name="chat")
    span = dataclasses.replace(
        span,
        resource=Resource(
            attributes={
                "service.name": "support",
                "service.instance.id": "pod-7",
                "deployment.environment.name": "prod",
                "telemetry.sdk.name": "opentelemetry",
                "telemetry.sdk.version": "1.45.0",
            },
            schema_url="https://opentelemetry.io/schemas/1.37.0",
        ),
        scope=Scope(name="openinference.openai", version="0.1.66", attributes={"k": "v"}),
    )
    store = open_store(sqlite_url)
    store.write([batch_of(span)], [])
    store.close()

    result = CliRunner().invoke(cli, ["trace", f"{2:032x}", "--store", sqlite_url, "--json"])

    shown = json.loads(result.output)["spans"][0]
    assert shown["resource"]["attributes"]["service.instance.id"] == "pod-7"
    assert shown["resource"]["attributes"]["telemetry.sdk.version"] == "1.45.0"
    assert shown["resource"]["attributes"]["deployment.environment.name"] == "prod"
    assert shown["resource"]["schema_url"] == "https://opentelemetry.io/schemas/1.37.0"
    assert shown["scope"] == {
        "name": "openinference.openai",
        "version": "0.1.66",
        "attributes": {"k": "v"},
        "dropped_attributes_count": 0,
        "schema_url": "",
    }
    assert (shown["service_name"], shown["scope_name"]) == ("support", "openinference.openai")
