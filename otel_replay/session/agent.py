"""Pure: the agent definition a conversation shows (system prompt, model, tools)."""

from __future__ import annotations

from collections.abc import Sequence

from otel_replay.core.records import AnyValue, Span
from otel_replay.semconv import vercel
from otel_replay.semconv.calls import voice_config
from otel_replay.semconv.identity import resolve_agent_name
from otel_replay.semconv.model import AgentDefinition, LlmCall, ToolDefinition


def build_agent_definition(
    calls: Sequence[LlmCall], spans: Sequence[Span]
) -> tuple[AgentDefinition, list[str]]:
    """What the LLM calls (in order) were configured with, and notes on disagreements."""
    notes: list[str] = []
    prompts = [c.system_instructions for c in calls if c.system_instructions]
    system_prompt = prompts[0] if prompts else None
    if system_prompt is None:
        # The AI SDK operation span keeps `system` apart from the provider prompt.
        system_prompt = next((p for s in spans if (p := vercel.system_prompt(s.attributes))), None)
    if len(set(prompts)) > 1:
        notes.append(
            f"LLM calls use {len(set(prompts))} different system prompts; the first is kept"
        )
    first = next((c for c in calls if c.request_model or c.response_model), None)
    parameters: dict[str, AnyValue] = {}
    for call in calls:
        if call.parameters:
            parameters = dict(call.parameters)
            break
    tools: dict[str, ToolDefinition] = {}
    for call in calls:
        for definition in call.tool_definitions:
            known = tools.get(definition.name)
            # Prefer the fullest definition (some conventions record names only).
            if known is None or (known.parameters is None and definition.parameters is not None):
                tools[definition.name] = definition
    if not calls:
        notes.append("no LLM calls: model and tools unknown")
    return (
        AgentDefinition(
            name=resolve_agent_name(spans),
            system_prompt=system_prompt,
            provider=next((c.provider for c in calls if c.provider), None),
            model=(first.request_model or first.response_model) if first else None,
            parameters=parameters,
            tools=tuple(tools.values()),
            voice=voice_config(spans),
        ),
        notes,
    )
