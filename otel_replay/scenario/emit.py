"""Pure: a reconstructed Conversation -> a Scenario (session scenario or one per trace)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import networkx as nx
from pydantic import JsonValue, ValidationError

from otel_replay.core.records import AnyValue
from otel_replay.core.values import to_json_value
from otel_replay.scenario.model import (
    AgentSpec,
    RecordedLlmCall,
    RecordedTool,
    Scenario,
    ScenarioMessage,
    ScenarioSource,
    ScenarioTurn,
    SourceKind,
    ToolCallRequest,
    ToolSpec,
    TurnMetrics,
    VoiceSnapshot,
)
from otel_replay.semconv.model import Conversation, LlmCall, Message, PartType, ToolCall, Turn
from otel_replay.session.collector import collector_paused
from otel_replay.session.graph import (
    build_conversation_graph,
    graph_from_node_link,
    graph_to_node_link,
)


def _json_mapping(values: Mapping[str, AnyValue]) -> dict[str, JsonValue]:
    return {key: to_json_value(values[key]) for key in sorted(values)}


def _result_text(value: AnyValue) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(to_json_value(value), ensure_ascii=False, sort_keys=True)


def scenario_message(message: Message) -> ScenarioMessage:
    """A normalised message as an OpenAI-style chat message."""
    tool_calls = [
        ToolCallRequest(id=p.call_id, name=p.name or "", arguments=to_json_value(p.arguments))
        for p in message.parts
        if p.type is PartType.TOOL_CALL
    ]
    results = [p for p in message.parts if p.type is PartType.TOOL_RESULT]
    content = message.text
    if content is None and results:
        content = _result_text(results[0].result)
    return ScenarioMessage(
        role=message.role.value,
        content=content,
        tool_calls=tool_calls,
        tool_call_id=results[0].call_id if results else None,
    )


def _llm_call(call: LlmCall) -> RecordedLlmCall:
    return RecordedLlmCall(
        trace_id=call.trace_id,
        span_id=call.span_id,
        name=call.name,
        provider=call.provider,
        request_model=call.request_model,
        response_model=call.response_model,
        parameters=_json_mapping(call.parameters),
        input_messages=[scenario_message(m) for m in call.input_messages],
        output_messages=[scenario_message(m) for m in call.output_messages],
        finish=call.finish.value if call.finish else None,
        response_id=call.response_id,
        input_tokens=call.usage.input_tokens,
        output_tokens=call.usage.output_tokens,
        duration_ms=(call.end_unix_nano - call.start_unix_nano) / 1e6,
        error=call.error,
    )


def _tool(tool: ToolCall) -> RecordedTool:
    return RecordedTool(
        name=tool.name,
        call_id=tool.call_id,
        arguments=to_json_value(tool.arguments),
        result=to_json_value(tool.result),
        error=tool.error,
        trace_id=tool.trace_id,
        span_id=tool.execution_span_id,
        linked_by=tool.linked_by.value,
    )


def _ms(unix_nano: int | None) -> float | None:
    return None if unix_nano is None else unix_nano / 1e6


def scenario_turn(turn: Turn, index: int) -> ScenarioTurn:
    return ScenarioTurn(
        index=index,
        trace_id=turn.trace_id,
        span_id=turn.span_id,
        user=turn.user_text,
        assistant=turn.assistant_text,
        llm_calls=[_llm_call(c) for c in turn.llm_calls],
        tool_calls=[_tool(t) for t in turn.tool_calls],
        metrics=TurnMetrics(
            latency_ms=turn.latency_unix_nano / 1e6,
            time_to_first_token_ms=_ms(turn.time_to_first_token_unix_nano),
            input_tokens=turn.usage.input_tokens,
            output_tokens=turn.usage.output_tokens,
            llm_calls=len(turn.llm_calls),
            tool_calls=len(turn.tool_calls),
            errors=len(turn.errors),
        ),
        notes=list(turn.notes),
    )


def _agent(conversation: Conversation) -> AgentSpec:
    agent = conversation.agent
    return AgentSpec(
        name=agent.name,
        system_prompt=agent.system_prompt,
        provider=agent.provider,
        model=agent.model,
        parameters=_json_mapping(agent.parameters),
        tools=[
            ToolSpec(name=t.name, description=t.description, parameters=to_json_value(t.parameters))
            for t in agent.tools
        ],
        voice=_voice(agent.voice),
    )


def _voice(recorded: Mapping[str, AnyValue] | None) -> VoiceSnapshot | None:
    """The voice snapshot a call recorded; one that does not fit the model is left out."""
    if not recorded:
        return None
    try:
        return VoiceSnapshot.model_validate(to_json_value(dict(recorded)))
    except ValidationError:
        return None


@collector_paused()
def emit_scenario(
    conversation: Conversation, name: str | None = None, graph: nx.MultiDiGraph | None = None
) -> Scenario:
    """A session scenario: every turn of the conversation, in order (and its graph)."""
    built = graph if graph is not None else build_conversation_graph(conversation)
    node_link: dict[str, Any] = graph_to_node_link(built)
    return Scenario(
        name=name or conversation.session_id,
        source=ScenarioSource(
            kind=SourceKind.SESSION,
            session_id=conversation.session_id,
            trace_ids=list(conversation.trace_ids),
            span_ids=[t.span_id for t in conversation.turns],
        ),
        agent=_agent(conversation),
        turns=[scenario_turn(t, i) for i, t in enumerate(conversation.turns)],
        graph=node_link,
        notes=list(conversation.notes),
    )


def emit_trace_scenarios(conversation: Conversation) -> list[Scenario]:
    """One single-turn scenario per trace, for bulk replay of individual calls."""
    scenarios = []
    for trace_id in conversation.trace_ids:
        turns = tuple(t for t in conversation.turns if t.trace_id == trace_id)
        if not turns:
            continue
        part = Conversation(
            session_id=conversation.session_id,
            user_id=conversation.user_id,
            trace_ids=(trace_id,),
            turns=tuple(Turn(**{**t.__dict__, "index": i}) for i, t in enumerate(turns)),
            agent=conversation.agent,
        )
        scenario = emit_scenario(part, name=f"{conversation.session_id}:{trace_id}")
        scenarios.append(
            scenario.model_copy(
                update={"source": scenario.source.model_copy(update={"kind": SourceKind.TRACE})}
            )
        )
    return scenarios


def emit_trace_scenarios_from(scenario: Scenario) -> list[Scenario]:
    """Split a session scenario into one single-turn scenario per trace."""
    scenarios = []
    for trace_id in scenario.source.trace_ids:
        turns = [t for t in scenario.turns if t.trace_id == trace_id]
        if not turns:
            continue
        scenarios.append(
            scenario.model_copy(
                update={
                    "name": f"{scenario.source.session_id}:{trace_id}",
                    "source": scenario.source.model_copy(
                        update={
                            "kind": SourceKind.TRACE,
                            "trace_ids": [trace_id],
                            "span_ids": [t.span_id for t in turns],
                        }
                    ),
                    "turns": [t.model_copy(update={"index": i}) for i, t in enumerate(turns)],
                    "graph": _graph_of_trace(scenario.graph, trace_id),
                }
            )
        )
    return scenarios


def _graph_of_trace(node_link: dict[str, Any], trace_id: str) -> dict[str, Any]:
    """The part of a session's node-link graph that belongs to one trace (plus the session
    and agent nodes), so that a trace scenario does not carry its siblings' turns."""
    if not node_link:
        return node_link
    graph = graph_from_node_link(node_link)
    keep = [
        node
        for node, data in graph.nodes(data=True)
        if data.get("kind") in ("session", "agent") or data.get("trace_id") == trace_id
    ]
    return graph_to_node_link(graph.subgraph(keep).copy())
