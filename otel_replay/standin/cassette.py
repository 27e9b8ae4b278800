"""A scenario's recorded LLM calls as the stand-in replays them: pure conversion.

`build_cassette(scenario)` turns each turn's `RecordedLlmCall`s into `RecordedExchange`s:
the request as the model saw it (messages, the agent's tools, model, parameters) and the
answer it gave (text, tool calls, finish reason, token counts).

Two gaps in recordings are filled here, once, so that matching and answering need not care:
- Some conventions keep the system prompt apart from the input messages
  (`gen_ai.system_instructions`); a call whose messages have no system message gets the
  agent's recorded system prompt as its first message.
- Tool calls recorded without an id get a stable one (`call_t<turn>_<call>_<n>`), since every
  provider's answer must carry one for the agent to send its result back.

Scenarios record the tools once per agent, not per call: every call of the cassette is
taken to have offered the agent's tools (none recorded means "not recorded", not "none").
Calls recorded as failed (`error` set, no output) are left out: their answers are unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from otel_replay.scenario.model import (
    AgentSpec,
    RecordedLlmCall,
    Scenario,
    ScenarioMessage,
    ToolCallRequest,
)
from otel_replay.semconv.model import FinishReason, Role
from otel_replay.standin.model import LlmAnswer, LlmRequest, RecordedExchange


@dataclass(frozen=True)
class Cassette:
    """The recorded exchanges of a scenario, turn by turn (`turns[i]` is turn index i)."""

    name: str
    turns: tuple[tuple[RecordedExchange, ...], ...]

    def turn(self, index: int) -> tuple[RecordedExchange, ...]:
        """The recorded exchanges of turn `index` (0-based); none for a turn past the end."""
        return self.turns[index] if 0 <= index < len(self.turns) else ()


def recorded_request(call: RecordedLlmCall, agent: AgentSpec) -> LlmRequest:
    """The request a recorded call made, with the system prompt in its messages."""
    messages = list(call.input_messages)
    has_system = any(m.role == Role.SYSTEM for m in messages)
    if not has_system and agent.system_prompt:
        messages.insert(0, ScenarioMessage(role=Role.SYSTEM, content=agent.system_prompt))
    return LlmRequest(
        model=call.request_model,
        messages=tuple(messages),
        tools=tuple(agent.tools),
        parameters=dict(call.parameters),
    )


def _finish(call: RecordedLlmCall, tool_calls: Sequence[ToolCallRequest]) -> FinishReason:
    if call.finish in {f.value for f in FinishReason}:
        return FinishReason(call.finish)
    return FinishReason.TOOL_CALL if tool_calls else FinishReason.STOP


def recorded_answer(call: RecordedLlmCall, turn_index: int, call_index: int) -> LlmAnswer:
    """The answer a recorded call gave; its assistant messages make one answer."""
    said = [m for m in call.output_messages if m.role in (Role.ASSISTANT, Role.OTHER)]
    texts = [m.content for m in said if m.content]
    tool_calls = [
        c if c.id else c.model_copy(update={"id": f"call_t{turn_index}_{call_index}_{n}"})
        for n, c in enumerate(c for m in said for c in m.tool_calls)
    ]
    return LlmAnswer(
        text="\n".join(texts) if texts else None,
        tool_calls=tuple(tool_calls),
        finish=_finish(call, tool_calls),
        input_tokens=call.input_tokens,
        output_tokens=call.output_tokens,
        model=call.response_model or call.request_model,
        response_id=call.response_id,
    )


def build_cassette(scenario: Scenario) -> Cassette:
    """The scenario's recorded LLM calls, per turn, in the order they were made."""
    turns: list[tuple[RecordedExchange, ...]] = []
    for turn_index, turn in enumerate(scenario.turns):
        calls = [c for c in turn.llm_calls if not (c.error and not c.output_messages)]
        turns.append(
            tuple(
                RecordedExchange(
                    turn_index=turn_index,
                    index=index,
                    request=recorded_request(call, scenario.agent),
                    answer=recorded_answer(call, turn_index, index),
                    trace_id=call.trace_id,
                    span_id=call.span_id,
                )
                for index, call in enumerate(calls)
            )
        )
    return Cassette(scenario.name, tuple(turns))
