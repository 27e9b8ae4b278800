"""The normalised conversation model every convention is mapped onto.

All records are frozen. Ids are lowercase hex strings, times integer unix nanoseconds.
Values that came from telemetry payloads (tool arguments, results, parameters) are
`AnyValue`: JSON text is parsed, so an object is a `dict` and a number an `int`/`float`.
`None` always means "not recorded", never "empty".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NoReturn

from otel_replay.core.records import AnyValue


class ClosedSet(StrEnum):
    """A closed set of string values; a bad value's error lists the valid ones."""

    @classmethod
    def _missing_(cls, value: object) -> NoReturn:
        valid = ", ".join(member.value for member in cls)
        raise ValueError(f"{value!r} is not a valid {cls.__name__}; valid values: {valid}")


class Role(ClosedSet):
    """Who a message is from, normalised (`developer` -> system, `model`/`ai` -> assistant)."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"
    OTHER = "other"


class PartType(ClosedSet):
    """The kind of one message part."""

    TEXT = "text"
    REASONING = "reasoning"
    REFUSAL = "refusal"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"
    MEDIA = "media"
    OTHER = "other"


class FinishReason(ClosedSet):
    """Why a model stopped, normalised across providers (docs/semconv.md section 8.5)."""

    STOP = "stop"
    TOOL_CALL = "tool_call"
    LENGTH = "length"
    CONTENT_FILTER = "content_filter"
    ERROR = "error"
    OTHER = "other"


class LinkedBy(ClosedSet):
    """How a tool call's request, execution span and result were put together."""

    # The execution span carries the call id the model asked for.
    CALL_ID = "call_id"
    # The execution span was matched by tool name: a span that ran the requested arguments
    # first, else in time order.
    NAME_ORDER = "name_order"
    # No request in any recorded LLM output: synthesised from a later LLM input.
    LLM_INPUT_ONLY = "llm_input_only"
    # Requested in an LLM output, but no execution span was found.
    REQUEST_ONLY = "request_only"
    # An execution span that no recorded LLM output or input asked for.
    SPAN_ONLY = "span_only"


class SpanRole(ClosedSet):
    """What step a span is, after docs/semconv.md section 10.3."""

    LLM = "llm"
    AGENT = "agent"
    TOOL = "tool"
    CHAIN = "chain"
    EMBEDDING = "embedding"
    RETRIEVER = "retriever"
    RERANKER = "reranker"
    GUARDRAIL = "guardrail"
    EVALUATOR = "evaluator"
    PROMPT = "prompt"
    # Voice: the whole-session root (LiveKit `agent_session`, Pipecat `conversation`).
    VOICE_SESSION = "voice_session"
    # Voice: Pipecat `turn`.
    VOICE_TURN = "voice_turn"
    # Voice: LiveKit `user_turn` / `agent_turn`.
    USER_TURN = "user_turn"
    AGENT_TURN = "agent_turn"
    STT = "stt"
    TTS = "tts"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Part:
    """One part of a message; which fields are set depends on `type`."""

    type: PartType
    text: str | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: AnyValue = None
    result: AnyValue = None
    is_error: bool = False
    # Media and unknown parts keep their payload as sent.
    data: AnyValue = None


@dataclass(frozen=True)
class Message:
    """One chat message, in the order it was sent or received."""

    role: Role
    parts: tuple[Part, ...] = ()
    name: str | None = None

    @property
    def text(self) -> str | None:
        """The text parts joined by newlines, or None when there are none."""
        texts = [p.text for p in self.parts if p.type is PartType.TEXT and p.text]
        return "\n".join(texts) if texts else None

    @property
    def tool_calls(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.type is PartType.TOOL_CALL)

    @property
    def tool_results(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.type is PartType.TOOL_RESULT)

    @property
    def tool_call_id(self) -> str | None:
        """The call id the first tool result in this message answers."""
        for part in self.tool_results:
            if part.call_id:
                return part.call_id
        return None


@dataclass(frozen=True)
class Usage:
    """Token counts of one model call (or a sum of leaf calls)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    reasoning_output_tokens: int | None = None

    def __add__(self, other: Usage) -> Usage:
        def add(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else a + b

        return Usage(
            add(self.input_tokens, other.input_tokens),
            add(self.output_tokens, other.output_tokens),
            add(self.total_tokens, other.total_tokens),
            add(self.cache_read_input_tokens, other.cache_read_input_tokens),
            add(self.cache_creation_input_tokens, other.cache_creation_input_tokens),
            add(self.reasoning_output_tokens, other.reasoning_output_tokens),
        )


@dataclass(frozen=True)
class ToolDefinition:
    """A tool the model was offered."""

    name: str
    description: str | None = None
    parameters: AnyValue = None


@dataclass(frozen=True)
class SpanError:
    """A span that ended in error, or a tool that reported one."""

    span_id: str
    name: str
    message: str


@dataclass(frozen=True)
class LlmCall:
    """One leaf model call: what was sent, what came back, and what it cost."""

    trace_id: str
    span_id: str
    name: str
    start_unix_nano: int
    end_unix_nano: int
    provider: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    parameters: Mapping[str, AnyValue] = field(default_factory=dict)
    system_instructions: str | None = None
    input_messages: tuple[Message, ...] = ()
    output_messages: tuple[Message, ...] = ()
    usage: Usage = field(default_factory=Usage)
    finish: FinishReason | None = None
    finish_raw: str | None = None
    response_id: str | None = None
    tool_definitions: tuple[ToolDefinition, ...] = ()
    error: str | None = None
    # The leaf span first, then wrapper spans whose content was merged in (LiveKit
    # `llm_node` around `llm_request`, a framework span around a provider span).
    source_span_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # Streaming only: from the request to the first chunk of the answer.
    time_to_first_token_unix_nano: int | None = None

    @property
    def output_text(self) -> str | None:
        """The text the model answered with (first choice), or None."""
        for message in self.output_messages:
            if message.role in (Role.ASSISTANT, Role.OTHER) and message.text:
                return message.text
        return None

    @property
    def requested_tool_calls(self) -> tuple[Part, ...]:
        return tuple(p for m in self.output_messages for p in m.tool_calls)


@dataclass(frozen=True)
class ToolCall:
    """One tool call: the model's request, its execution and its result, as far as known."""

    name: str
    call_id: str | None
    arguments: AnyValue
    result: AnyValue
    linked_by: LinkedBy
    trace_id: str
    error: str | None = None
    # The LLM call whose output asked for it.
    request_span_id: str | None = None
    execution_span_id: str | None = None
    # The LLM call whose input carried the result back to the model.
    result_span_id: str | None = None
    start_unix_nano: int | None = None
    end_unix_nano: int | None = None


@dataclass(frozen=True)
class Turn:
    """One user turn: the new user message, what the agent did, and its reply."""

    index: int
    trace_id: str
    # The span the turn was built from: the trace root, or a voice turn span.
    span_id: str
    user_text: str | None
    assistant_text: str | None
    llm_calls: tuple[LlmCall, ...]
    tool_calls: tuple[ToolCall, ...]
    start_unix_nano: int
    end_unix_nano: int
    usage: Usage
    errors: tuple[SpanError, ...] = ()
    span_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def latency_unix_nano(self) -> int:
        """Wall time from the turn's first span start to its last span end."""
        return self.end_unix_nano - self.start_unix_nano

    @property
    def time_to_first_token_unix_nano(self) -> int | None:
        """The first model call's time to first token, as recorded (streamed calls only)."""
        return self.llm_calls[0].time_to_first_token_unix_nano if self.llm_calls else None


@dataclass(frozen=True)
class AgentDefinition:
    """The agent as configured, as far as the traces show it."""

    name: str | None = None
    system_prompt: str | None = None
    provider: str | None = None
    model: str | None = None
    parameters: Mapping[str, AnyValue] = field(default_factory=dict)
    tools: tuple[ToolDefinition, ...] = ()
    # A voice agent's configuration on the call (docs/semconv.md section 12), as recorded.
    voice: Mapping[str, AnyValue] | None = None


@dataclass(frozen=True)
class Conversation:
    """A whole session: its turns in order and the agent that answered them."""

    session_id: str
    user_id: str | None
    trace_ids: tuple[str, ...]
    turns: tuple[Turn, ...]
    agent: AgentDefinition = field(default_factory=AgentDefinition)
    notes: tuple[str, ...] = ()

    @property
    def usage(self) -> Usage:
        total = Usage()
        for turn in self.turns:
            total = total + turn.usage
        return total
