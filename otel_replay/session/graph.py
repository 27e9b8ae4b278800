"""Pure: a Conversation -> a networkx graph of session, agent, turns, LLM calls and tool calls.

Node attributes are scalars (bytes as base64, JSON text for structured values) so the graph
writes to GraphML and DOT as well as to node-link JSON; edges carry a `relation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from itertools import pairwise
from typing import Any

import networkx as nx

from otel_replay.core.values import to_json_text, to_json_value
from otel_replay.semconv.model import Conversation, LlmCall, ToolCall, Turn
from otel_replay.session.collector import collector_paused


class NodeKind(StrEnum):
    SESSION = "session"
    AGENT = "agent"
    TURN = "turn"
    LLM_CALL = "llm_call"
    TOOL_CALL = "tool_call"


class Relation(StrEnum):
    CONTAINS = "contains"  # session -> turn -> llm_call / tool_call
    NEXT = "next"  # turn -> next turn, step -> next step within a turn
    REQUESTED = "requested"  # llm_call -> the tool_call its output asked for
    ANSWERED_INTO = "answered_into"  # tool_call -> the llm_call whose input carried its result
    ANSWERED_BY = "answered_by"  # session -> the agent that answered it


# The exact types of most values: one set look-up before the isinstance test.
_PLAIN_SCALARS = frozenset((str, int, float, bool))


def _scalars(values: Mapping[str, Any]) -> dict[str, str | int | float | bool]:
    """Drop unknowns; keep scalars; bytes become base64, structured values JSON text."""
    out: dict[str, str | int | float | bool] = {}
    for key, value in values.items():
        if value is None:
            continue
        if type(value) in _PLAIN_SCALARS or isinstance(value, str | int | float | bool):
            out[key] = value  # its own JSON form: no conversion to make
        elif isinstance(value, bytes):
            out[key] = str(to_json_value(value))  # base64 text
        else:
            out[key] = to_json_text(value)
    return out


def turn_node_id(turn: Turn) -> str:
    return f"turn:{turn.index}"


def llm_node_id(call: LlmCall) -> str:
    return f"llm_call:{call.span_id}"


def tool_node_id(turn: Turn, position: int) -> str:
    return f"tool_call:{turn.index}:{position}"


@collector_paused()
def build_conversation_graph(conversation: Conversation) -> nx.MultiDiGraph:
    """The conversation as a graph: containment, order and causality edges."""
    graph = nx.MultiDiGraph(session_id=conversation.session_id)
    session_node = f"session:{conversation.session_id}"
    graph.add_node(
        session_node,
        **_scalars(
            {
                "kind": NodeKind.SESSION.value,
                "session_id": conversation.session_id,
                "user_id": conversation.user_id,
                "trace_ids": list(conversation.trace_ids),
                "turn_count": len(conversation.turns),
            }
        ),
    )
    agent = conversation.agent
    agent_node = f"agent:{agent.name or 'agent'}"
    graph.add_node(
        agent_node,
        **_scalars(
            {
                "kind": NodeKind.AGENT.value,
                "name": agent.name,
                "model": agent.model,
                "provider": agent.provider,
                "system_prompt": agent.system_prompt,
                "tools": [t.name for t in agent.tools],
            }
        ),
    )
    graph.add_edge(session_node, agent_node, relation=Relation.ANSWERED_BY.value)
    previous_turn: str | None = None
    for turn in conversation.turns:
        node = turn_node_id(turn)
        graph.add_node(
            node,
            **_scalars(
                {
                    "kind": NodeKind.TURN.value,
                    "index": turn.index,
                    "trace_id": turn.trace_id,
                    "span_id": turn.span_id,
                    "user": turn.user_text,
                    "assistant": turn.assistant_text,
                    "latency_unix_nano": turn.latency_unix_nano,
                    "input_tokens": turn.usage.input_tokens,
                    "output_tokens": turn.usage.output_tokens,
                    "errors": len(turn.errors),
                }
            ),
        )
        graph.add_edge(session_node, node, relation=Relation.CONTAINS.value)
        if previous_turn is not None:
            graph.add_edge(previous_turn, node, relation=Relation.NEXT.value)
        previous_turn = node
        _add_steps(graph, turn, node)
    return graph


def _add_steps(graph: nx.MultiDiGraph, turn: Turn, turn_node: str) -> None:
    steps: list[tuple[int, str]] = []
    llm_by_span = {call.span_id: llm_node_id(call) for call in turn.llm_calls}
    for call in turn.llm_calls:
        node = llm_node_id(call)
        graph.add_node(
            node,
            **_scalars(
                {
                    "kind": NodeKind.LLM_CALL.value,
                    "trace_id": call.trace_id,
                    "span_id": call.span_id,
                    "name": call.name,
                    "request_model": call.request_model,
                    "response_model": call.response_model,
                    "finish": call.finish.value if call.finish else None,
                    "input_tokens": call.usage.input_tokens,
                    "output_tokens": call.usage.output_tokens,
                    "output": call.output_text,
                    "duration_unix_nano": call.end_unix_nano - call.start_unix_nano,
                }
            ),
        )
        graph.add_edge(turn_node, node, relation=Relation.CONTAINS.value)
        steps.append((call.start_unix_nano, node))
    for position, tool in enumerate(turn.tool_calls):
        node = tool_node_id(turn, position)
        graph.add_node(node, **_tool_attributes(tool))
        graph.add_edge(turn_node, node, relation=Relation.CONTAINS.value)
        steps.append((tool.start_unix_nano or turn.start_unix_nano, node))
        if tool.request_span_id in llm_by_span:
            graph.add_edge(
                llm_by_span[tool.request_span_id], node, relation=Relation.REQUESTED.value
            )
        if tool.result_span_id in llm_by_span:
            graph.add_edge(
                node, llm_by_span[tool.result_span_id], relation=Relation.ANSWERED_INTO.value
            )
    steps.sort(key=lambda item: item[0])
    for (_, before), (_, after) in pairwise(steps):
        graph.add_edge(before, after, relation=Relation.NEXT.value)


def _tool_attributes(tool: ToolCall) -> dict[str, str | int | float | bool]:
    return _scalars(
        {
            "kind": NodeKind.TOOL_CALL.value,
            "name": tool.name,
            "call_id": tool.call_id,
            "trace_id": tool.trace_id,
            "span_id": tool.execution_span_id,
            "arguments": tool.arguments if tool.arguments is not None else None,
            "result": tool.result if tool.result is not None else None,
            "error": tool.error,
            "linked_by": tool.linked_by.value,
        }
    )


def graph_to_node_link(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """Lossless node-link JSON data (networkx's format, edges under `edges`)."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def graph_from_node_link(data: Mapping[str, Any]) -> nx.MultiDiGraph:
    graph: nx.MultiDiGraph = nx.node_link_graph(
        dict(data), directed=True, multigraph=True, edges="edges"
    )
    return graph


def _dot_quote(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def graph_to_dot(graph: nx.MultiDiGraph) -> str:
    """Graphviz DOT text (networkx's DOT writers need pydot or pygraphviz; this needs neither)."""
    lines = ["digraph conversation {", "  rankdir=TB;"]
    for node, attributes in graph.nodes(data=True):
        kind = attributes.get("kind", "")
        label = attributes.get("name") or attributes.get("user") or node
        shape = {"session": "doubleoctagon", "turn": "box", "llm_call": "ellipse"}.get(
            kind, "component"
        )
        # The node's data rides along (Graphviz keeps unknown attributes), so a DOT file
        # holds what the GraphML file does.
        data = "".join(f", {key}={_dot_quote(value)}" for key, value in sorted(attributes.items()))
        lines.append(
            f"  {_dot_quote(node)} [label={_dot_quote(f'{kind}: {label}'[:80])}, "
            f"shape={shape}{data}];"
        )
    for source, target, attributes in graph.edges(data=True):
        relation = _dot_quote(attributes["relation"])
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)} [label={relation}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
