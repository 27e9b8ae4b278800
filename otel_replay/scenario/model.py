"""The graph scenario file: a recorded session (or trace) ready to be replayed.

The pydantic models are the format's definition; `schemas/scenario.schema.json` is generated
from them and a test keeps the two equal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

SCENARIO_VERSION: Literal[1] = 1
SCENARIO_KIND: Literal["otel-replay/scenario"] = "otel-replay/scenario"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceKind(StrEnum):
    SESSION = "session"
    TRACE = "trace"


class ScenarioSource(_Model):
    """Where the recording came from."""

    kind: SourceKind
    session_id: str
    trace_ids: list[str]
    span_ids: list[str] = Field(default_factory=list, description="Turn spans, in turn order.")


class ToolSpec(_Model):
    name: str
    description: str | None = None
    parameters: JsonValue = None


class VoiceSnapshot(_Model):
    """A voice agent's configuration as it was on the recorded call (Vapi, Retell, LiveKit...).

    Every field is optional: a call log says what it says. `raw` keeps the provider's own
    configuration object verbatim, so nothing the typed fields leave out is lost.
    """

    platform: str | None = Field(default=None, description="vapi, retell, livekit, pipecat...")
    agent_id: str | None = Field(default=None, description="Assistant or agent id on the platform.")
    agent_name: str | None = None
    agent_version: str | None = None
    system_prompt: str | None = Field(
        default=None, description="The prompt as sent on the call (variables filled in)."
    )
    first_message: str | None = None
    first_speaker: Literal["agent", "user"] | None = None
    llm_provider: str | None = None
    llm_model: str | None = None
    temperature: float | None = None
    voice_provider: str | None = None
    voice_id: str | None = None
    transcriber_provider: str | None = None
    transcriber_model: str | None = None
    language: str | None = None
    tools: list[ToolSpec] = Field(default_factory=list)
    endpointing: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Turn-taking settings as the platform names them (endpointing, interruptions).",
    )
    source: str | None = Field(
        default=None, description="Where the snapshot was read from (e.g. eocr.assistant)."
    )
    variables: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="The values the call's prompt variables had (Vapi variableValues, Retell "
        "retell_llm_dynamic_variables); a hosted replay sends them again.",
    )
    raw: JsonValue = None


class AgentSpec(_Model):
    """The agent as the recording shows it."""

    name: str | None = None
    system_prompt: str | None = None
    provider: str | None = None
    model: str | None = None
    parameters: dict[str, JsonValue] = Field(default_factory=dict)
    tools: list[ToolSpec] = Field(default_factory=list)
    voice: VoiceSnapshot | None = None


class ToolCallRequest(_Model):
    id: str | None = None
    name: str
    arguments: JsonValue = None


class ScenarioMessage(_Model):
    """A chat message in OpenAI style: what an agent under replay is given."""

    role: str
    content: str | None = None
    tool_calls: list[ToolCallRequest] = Field(default_factory=list)
    tool_call_id: str | None = None


class RecordedLlmCall(_Model):
    trace_id: str
    span_id: str
    name: str
    provider: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    parameters: dict[str, JsonValue] = Field(default_factory=dict)
    input_messages: list[ScenarioMessage] = Field(default_factory=list)
    output_messages: list[ScenarioMessage] = Field(default_factory=list)
    finish: str | None = None
    response_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_ms: float
    error: str | None = None


class RecordedTool(_Model):
    """A recorded tool call; its result is what a sealed tool returns in a replay."""

    name: str
    call_id: str | None = None
    arguments: JsonValue = None
    result: JsonValue = None
    error: str | None = None
    trace_id: str
    span_id: str | None = None
    linked_by: str


class TurnMetrics(_Model):
    latency_ms: float
    time_to_first_token_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    llm_calls: int
    tool_calls: int
    errors: int


class ScenarioTurn(_Model):
    index: int
    trace_id: str
    span_id: str
    user: str | None
    assistant: str | None
    llm_calls: list[RecordedLlmCall] = Field(default_factory=list)
    tool_calls: list[RecordedTool] = Field(default_factory=list)
    metrics: TurnMetrics
    notes: list[str] = Field(default_factory=list)


class Expectation(_Model):
    """A check a replay must pass: an evaluator name and its arguments."""

    evaluator: str
    turn: int | None = Field(default=None, description="0-based turn index; null for the session.")
    args: dict[str, JsonValue] = Field(default_factory=dict)


class ScenarioUser(_Model):
    """The person on the other side: what a simulated user plays after a replay diverges."""

    goal: str | None = None
    persona: str | None = None
    situation: str | None = None
    expected_outcome: str | None = None
    examples: list[str] = Field(
        default_factory=list, description="The real user's turns, as examples of their phrasing."
    )
    described_by: str | None = Field(
        default=None, description="The model that wrote this section, or null if a person did."
    )
    outcome_rule: str | None = Field(
        default=None,
        description="python:MODULE:ATTR: your own check of the expected outcome at the end of a "
        "replay, instead of a judge model.",
    )
    variant: int | None = Field(
        default=None,
        ge=1,
        description="1-based number of this persona or phrasing variant; null for the real user.",
    )
    variant_of: str | None = Field(
        default=None, description="The scenario this variant was written from."
    )


class Scenario(_Model):
    version: Literal[1] = SCENARIO_VERSION
    kind: Literal["otel-replay/scenario"] = SCENARIO_KIND
    name: str
    source: ScenarioSource
    agent: AgentSpec
    turns: list[ScenarioTurn]
    graph: dict[str, Any] = Field(description="The conversation graph as networkx node-link JSON.")
    expectations: list[Expectation] = Field(default_factory=list)
    user: ScenarioUser | None = None
    notes: list[str] = Field(default_factory=list)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (what schemas/scenario.schema.json holds)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://otel-replay.dev/schemas/scenario.schema.json"
    schema["title"] = "otel-replay scenario"
    return schema
