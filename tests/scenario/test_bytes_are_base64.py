"""Bytes in telemetry are standard base64 text in every file and JSON output we write."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.core.records import Span
from otel_replay.scenario.emit import emit_scenario
from otel_replay.scenario.files import dump_scenario, write_graph
from otel_replay.semconv.attributes import GenAI
from otel_replay.session.graph import build_conversation_graph, graph_to_dot
from otel_replay.session.turns import build_conversation
from otel_replay.store import open_store
from tests.builders import batch_of
from tests.session.spans import agent, chat, execute_tool, text, tool_request

BLOB = b"\x00\x01"
BLOB_BASE64 = "AAE="
PYTHON_REPR = "\\x00"


def _spans() -> list[Span]:
    return [
        agent(1, 10, start=0, **{GenAI.CONVERSATION_ID: "blob-session"}),
        chat(1, 11, 10, 1, [text("user", "q")], [tool_request("c1", "blob", {})]),
        execute_tool(
            1, 12, 10, 2, "blob", **{GenAI.TOOL_CALL_ID: "c1", GenAI.TOOL_CALL_RESULT: BLOB}
        ),
    ]


def _tool_node(graph: nx.MultiDiGraph) -> dict[str, object]:
    (node,) = [a for _, a in graph.nodes(data=True) if a.get("kind") == "tool_call"]
    return dict(node)


def test_bytes_attribute_is_base64_in_the_scenario_file_and_its_graph() -> None:
    text_ = dump_scenario(emit_scenario(build_conversation("s", _spans(), [])))
    doc = json.loads(text_)
    assert doc["turns"][0]["tool_calls"][0]["result"] == BLOB_BASE64
    (tool_node,) = [n for n in doc["graph"]["nodes"] if n["kind"] == "tool_call"]
    assert tool_node["result"] == BLOB_BASE64
    assert PYTHON_REPR not in text_


def test_bytes_attribute_is_base64_in_node_link_graphml_and_dot_files(tmp_path: Path) -> None:
    graph = build_conversation_graph(build_conversation("s", _spans(), []))
    assert _tool_node(graph)["result"] == BLOB_BASE64
    write_graph(graph, tmp_path / "g.json")
    (node,) = [
        n
        for n in json.loads((tmp_path / "g.json").read_text())["nodes"]
        if n["kind"] == "tool_call"
    ]
    assert node["result"] == BLOB_BASE64
    write_graph(graph, tmp_path / "g.graphml")
    from_graphml = nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True)
    assert _tool_node(from_graphml)["result"] == BLOB_BASE64
    dot = graph_to_dot(graph)
    assert f'result="{BLOB_BASE64}"' in dot
    assert PYTHON_REPR not in dot


def test_bytes_attribute_is_base64_in_trace_and_session_json_output(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    store.write([batch_of(*_spans())], [])
    store.close()
    runner = CliRunner()
    traced = runner.invoke(cli, ["trace", f"{1:032x}", "--store", sqlite_url, "--json"])
    assert traced.exit_code == 0, traced.output
    spans = {s["name"]: s for s in _walk(json.loads(traced.output)["spans"])}
    assert spans["execute_tool blob"]["attributes"][GenAI.TOOL_CALL_RESULT] == BLOB_BASE64
    session = runner.invoke(cli, ["session", "blob-session", "--store", sqlite_url, "--json"])
    assert session.exit_code == 0, session.output
    tool = json.loads(session.output)["turns"][0]["tool_calls"][0]
    assert tool["result"] == BLOB_BASE64


def _walk(spans: list[dict[str, object]]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for span in spans:
        found.append(span)
        children = span["children"]
        assert isinstance(children, list)
        found.extend(_walk(children))
    return found
