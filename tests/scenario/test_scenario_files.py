from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_replay.core.errors import BadInputError
from otel_replay.scenario.emit import emit_scenario, emit_trace_scenarios
from otel_replay.scenario.files import dump_scenario, load_scenario, read_scenario, write_graph
from otel_replay.scenario.model import Scenario
from otel_replay.schemas import SCHEMAS, schema_text
from otel_replay.session.graph import build_conversation_graph, graph_from_node_link
from tests.conversations import TRACE_1, TRACE_2, weather_conversation

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_is_generated_from_the_model(name: str) -> None:
    assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == schema_text(name)


def test_emitted_session_scenario_holds_turns_tools_metrics_and_validates() -> None:
    scenario = emit_scenario(weather_conversation())
    doc = json.loads(dump_scenario(scenario))
    jsonschema.validate(doc, json.loads((SCHEMA_DIR / "scenario.schema.json").read_text()))
    assert doc["source"] == {
        "kind": "session",
        "session_id": "weather-session",
        "trace_ids": [TRACE_1, TRACE_2],
        "span_ids": ["a0" * 8, "b0" * 8],
    }
    first = doc["turns"][0]
    assert first["user"] == "What's the weather in Paris?"
    assert first["tool_calls"][0]["result"] == {"temperature_c": 14}
    assert first["metrics"] == {
        "latency_ms": 1000.0,
        "time_to_first_token_ms": None,
        "input_tokens": 158,
        "output_tokens": 31,
        "llm_calls": 2,
        "tool_calls": 1,
        "errors": 0,
    }
    assert first["llm_calls"][0]["output_messages"][0]["tool_calls"] == [
        {"id": "call_1", "name": "get_weather", "arguments": {"location": "Paris"}}
    ]
    assert doc["agent"]["tools"][0]["name"] == "get_weather"
    assert doc["expectations"] == []


def test_trace_scenarios_are_one_single_turn_scenario_per_trace() -> None:
    scenarios = emit_trace_scenarios(weather_conversation())
    assert [(s.source.kind, s.source.trace_ids, len(s.turns)) for s in scenarios] == [
        ("trace", [TRACE_1], 1),
        ("trace", [TRACE_2], 1),
    ]
    assert scenarios[1].turns[0].index == 0


def test_scenario_text_round_trips_and_is_stable() -> None:
    scenario = emit_scenario(weather_conversation())
    text = dump_scenario(scenario)
    assert load_scenario(text) == scenario
    assert dump_scenario(load_scenario(text)) == text


@settings(max_examples=30)
@given(
    user=st.text(max_size=40),
    arguments=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
)
def test_scenario_round_trip_property(user: str, arguments: dict[str, object]) -> None:
    base = emit_scenario(weather_conversation())
    turn = base.turns[0]
    tool = turn.tool_calls[0].model_copy(update={"arguments": arguments})
    turn = turn.model_copy(update={"user": user, "tool_calls": [tool]})
    scenario = base.model_copy(update={"turns": [turn, *base.turns[1:]]})
    assert load_scenario(dump_scenario(scenario)) == scenario


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"kind": "other"}', "not an otel-replay scenario"),
        ('{"kind": "otel-replay/scenario", "version": 99}', "newer than this otel-replay"),
        ('{"kind": "otel-replay/scenario", "version": 1, "name": "x"}', "source: Field required"),
    ],
)
def test_bad_scenarios_get_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        load_scenario(text, "case.json")


def test_missing_scenario_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such scenario file"):
        read_scenario(tmp_path / "nope.json")


def test_graph_has_containment_order_and_causality_edges() -> None:
    graph = build_conversation_graph(weather_conversation())
    relations = {(u, v, d["relation"]) for u, v, d in graph.edges(data=True)}
    llm_1, llm_2 = "llm_call:" + "a1" * 8, "llm_call:" + "a2" * 8
    assert ("session:weather-session", "turn:0", "contains") in relations
    assert ("turn:0", "turn:1", "next") in relations
    assert (llm_1, "tool_call:0:0", "requested") in relations
    assert ("tool_call:0:0", llm_2, "answered_into") in relations
    assert (llm_1, "tool_call:0:0", "next") in relations
    assert graph.nodes["tool_call:0:0"]["arguments"] == '{"location": "Paris"}'


def test_graph_round_trips_through_node_link_json_and_graphml(tmp_path: Path) -> None:
    graph = build_conversation_graph(weather_conversation())
    scenario: Scenario = emit_scenario(weather_conversation())
    again = graph_from_node_link(scenario.graph)
    assert nx.utils.graphs_equal(graph, again)
    assert dict(graph.nodes(data=True)) == dict(again.nodes(data=True))
    write_graph(graph, tmp_path / "g.graphml")
    from_graphml = nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True)
    assert dict(from_graphml.nodes(data=True)) == dict(graph.nodes(data=True))
    write_graph(graph, tmp_path / "g.dot")
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith("digraph conversation {") and '"turn:0" -> "turn:1"' in dot
    with pytest.raises(BadInputError, match="unknown graph format"):
        write_graph(graph, tmp_path / "g.png")


def test_splitting_a_session_scenario_keeps_each_traces_part_of_the_graph() -> None:
    from otel_replay.scenario.emit import emit_trace_scenarios_from

    first, second = emit_trace_scenarios_from(emit_scenario(weather_conversation()))
    assert (first.source.trace_ids, second.source.trace_ids) == ([TRACE_1], [TRACE_2])
    graph = graph_from_node_link(second.graph)
    kinds = sorted(data["kind"] for _, data in graph.nodes(data=True))
    assert kinds == ["agent", "llm_call", "session", "turn"]
    assert all(data.get("trace_id") in (None, TRACE_2) for _, data in graph.nodes(data=True))
