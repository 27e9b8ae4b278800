"""Scenarios built directly from the scenario model, for the stand-in's pure tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from otel_replay.scenario.model import (
    AgentSpec,
    RecordedLlmCall,
    Scenario,
    ScenarioMessage,
    ScenarioSource,
    ScenarioTurn,
    SourceKind,
    ToolCallRequest,
    ToolSpec,
    TurnMetrics,
)

SYSTEM = "You answer questions about the weather."
WEATHER_TOOL = ToolSpec(
    name="get_weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)


def message(role: str, content: str | None = None, **fields: Any) -> ScenarioMessage:
    return ScenarioMessage(role=role, content=content, **fields)


def tool_call(name: str, arguments: Any, call_id: str | None = None) -> ToolCallRequest:
    return ToolCallRequest(id=call_id, name=name, arguments=arguments)


def llm_call(
    inputs: Sequence[ScenarioMessage],
    text: str | None = None,
    calls: Sequence[ToolCallRequest] = (),
    *,
    model: str = "claude-sonnet-4-5",
    finish: str | None = None,
    span_id: str = "a1",
    tokens: tuple[int, int] = (10, 5),
    **fields: Any,
) -> RecordedLlmCall:
    return RecordedLlmCall(
        trace_id="t" * 32,
        span_id=span_id,
        name="chat",
        request_model=model,
        input_messages=list(inputs),
        output_messages=[message("assistant", text, tool_calls=list(calls))],
        finish=finish,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        duration_ms=1.0,
        **fields,
    )


def scenario(
    turns: Sequence[Sequence[RecordedLlmCall]],
    *,
    system_prompt: str | None = SYSTEM,
    tools: Sequence[ToolSpec] = (WEATHER_TOOL,),
) -> Scenario:
    return Scenario(
        name="built",
        source=ScenarioSource(kind=SourceKind.SESSION, session_id="s1", trace_ids=["t" * 32]),
        agent=AgentSpec(system_prompt=system_prompt, tools=list(tools)),
        turns=[
            ScenarioTurn(
                index=index,
                trace_id="t" * 32,
                span_id=f"turn{index}",
                user=None,
                assistant=None,
                llm_calls=list(calls),
                metrics=TurnMetrics(latency_ms=1.0, llm_calls=len(calls), tool_calls=0, errors=0),
            )
            for index, calls in enumerate(turns)
        ],
        graph={},
    )
