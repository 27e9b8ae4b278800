"""The stand-in's records: one request model for every provider, the answer, the exchange log.

Messages and tools reuse the scenario's own OpenAI-style models (`ScenarioMessage`,
`ToolSpec`), so a live request and a recorded call are compared like for like. These
records are frozen and hold no provider shapes: each provider module maps its wire format
onto them and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import JsonValue

from otel_replay.scenario.model import ScenarioMessage, ToolCallRequest, ToolSpec
from otel_replay.semconv.model import ClosedSet, FinishReason


class ProviderApi(ClosedSet):
    """The HTTP APIs the stand-in serves, by the path they answer on."""

    OPENAI_CHAT = "openai.chat_completions"  # POST /v1/chat/completions
    OPENAI_RESPONSES = "openai.responses"  # POST /v1/responses
    ANTHROPIC_MESSAGES = "anthropic.messages"  # POST /v1/messages


class StandInMode(ClosedSet):
    """What a request that matches no recorded call gets."""

    # An HTTP error in the provider's shape that names the closest recorded call.
    RECORDED = "recorded"
    # The real provider's answer: the request is forwarded upstream.
    HYBRID = "hybrid"


class ExchangeSource(StrEnum):
    """Where an exchange's answer came from."""

    RECORDED = "recorded"
    LIVE = "live"
    # A miss in recorded mode, or an upstream that could not be reached: no answer.
    UNANSWERED = "unanswered"


@dataclass(frozen=True)
class LlmRequest:
    """A model request, whatever API it came in on: the system prompt is a leading `system`
    message, tool results are `tool` messages, parameters carry canonical names
    (`max_tokens`, `stop_sequences`, `choice_count`, as the scenario records them)."""

    model: str | None
    messages: tuple[ScenarioMessage, ...]
    tools: tuple[ToolSpec, ...] = ()
    parameters: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True)
class LlmAnswer:
    """What a model answered: text, tool calls (arguments parsed, ids always set), why it
    stopped, its token counts, and the model name and response id it reported."""

    text: str | None
    tool_calls: tuple[ToolCallRequest, ...] = ()
    finish: FinishReason | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    model: str | None = None
    response_id: str | None = None


@dataclass(frozen=True)
class RecordedExchange:
    """One recorded LLM call of a turn, as the stand-in replays it. `index` is its position
    in the turn (0-based); `span_id` names the recorded span it came from."""

    turn_index: int
    index: int
    request: LlmRequest
    answer: LlmAnswer
    trace_id: str
    span_id: str


@dataclass(frozen=True)
class NearMiss:
    """A recorded call a request did not match, and what differed, in words."""

    recorded: RecordedExchange
    differences: tuple[str, ...]


@dataclass(frozen=True)
class Divergence:
    """A request that matched no recorded call of its turn, with the closest recordings."""

    turn_index: int
    request: LlmRequest
    match_on: tuple[str, ...]
    closest: tuple[NearMiss, ...]

    def describe(self) -> str:
        """One line naming the closest recorded call and what differed."""
        text = f"no recorded LLM call in turn {self.turn_index + 1} matches"
        if not self.closest:
            return f"{text}: no LLM calls were recorded in this turn"
        best = self.closest[0]
        model = best.recorded.request.model or "model not recorded"
        text = f"{text}: closest is call {best.recorded.index + 1} ({model}); "
        text += "; ".join(best.differences)
        # Other near calls, when they differ in another way than the closest one.
        others = [
            f"call {n.recorded.index + 1}: {n.differences[0]}"
            for n in self.closest[1:]
            if n.differences and n.differences != best.differences
        ]
        return text + (f" (also {'; '.join(others)})" if others else "")


@dataclass(frozen=True)
class StandInExchange:
    """One request the stand-in handled: its turn, API and normalised request, where the
    answer came from, the HTTP status sent, the recorded call served (hits), the answer
    (None when there was none or a live answer could not be read) and, for a miss, the
    divergence (kept in hybrid mode too, where the miss was answered live)."""

    turn_index: int
    api: ProviderApi
    request: LlmRequest
    stream: bool
    source: ExchangeSource
    status: int
    recorded: RecordedExchange | None = None
    answer: LlmAnswer | None = None
    divergence: Divergence | None = None
    error: str | None = None
