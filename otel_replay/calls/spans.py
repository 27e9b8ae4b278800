"""Pure: a call record -> spans in the voice-call convention (docs/semconv.md section 12).

One trace per call, with ids derived from the platform and the call id: importing the same
call twice (a re-import, Retell's `call_analyzed` after `call_ended`, a webhook retry)
stores nothing new but a post-call analysis the first copy lacked (its span's id is a hash
of the analysis too). A turn starts at user speech that follows agent speech or a tool call;
what the agent said before the user first spoke is the greeting, kept on the root.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.calls.record import CallRecord, ToolUse
from otel_replay.calls.turns import (
    Step,
    Turn,
    answer_steps,
    before,
    first_start,
    group_turns,
    interrupted_indices,
    joined_text,
    last_end,
)
from otel_replay.core.records import AnyValue, Attributes, Resource, Scope, Span, SpanKind
from otel_replay.core.records import StatusCode as SpanStatus
from otel_replay.core.values import to_json_text
from otel_replay.otlp.convert import spans_to_request
from otel_replay.semconv.attributes import GenAI, General, VoiceCall
from otel_replay.semconv.calls import Utterance
from otel_replay.voice.end_reasons import EndReasonBucket

SCOPE_NAME = "otel_replay.calls"
_NS_PER_MS = 1_000_000
# Span times are unsigned 64-bit on the wire and signed 64-bit in the store: a time read from
# an untrusted payload is kept within both.
_MAX_NS = (1 << 63) - 1


def _clamped(unix_nano: int) -> int:
    return min(max(unix_nano, 0), _MAX_NS)


# Spans without recorded times follow each other by this much, so that their order (the
# session builder sorts by start time) is the recorded order.
_TICK_NS = 1_000


def _utterance_json(utterance: Utterance) -> dict[str, AnyValue]:
    found: dict[str, AnyValue] = {"role": utterance.role, "text": utterance.text}
    for key in ("start_ms", "end_ms", "speech_ms"):
        value = getattr(utterance, key)
        if value is not None:
            found[key] = value
    if utterance.interrupted:
        found["interrupted"] = True
    return found


def _ids(record: CallRecord) -> tuple[str, _SpanIds]:
    seed = f"{record.platform}:{record.call_id}"
    trace_id = hashlib.sha256(f"trace:{seed}".encode()).hexdigest()[:32]
    return trace_id, _SpanIds(seed)


class _SpanIds:
    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._count = 0

    def next(self) -> str:
        self._count += 1
        return hashlib.sha256(f"span:{self._seed}:{self._count}".encode()).hexdigest()[:16]


def _set(attributes: Attributes, key: str, value: AnyValue) -> None:
    if value is not None:
        attributes[key] = value


@dataclass
class _Builder:
    record: CallRecord
    trace_id: str
    ids: _SpanIds
    base_ns: int
    resource: Resource
    scope: Scope
    spans: list[Span] = field(default_factory=list)
    # The current turn's messages so far (OTel GenAI message JSON): a derived model call's
    # input is its own turn, not the whole call again (that would grow with the square of
    # the call's length); the earlier turns are the earlier spans.
    history: list[AnyValue] = field(default_factory=list)

    def at(self, offset_ms: int | None, fallback_ns: int) -> int:
        if offset_ms is None:
            return fallback_ns
        return _clamped(self.base_ns + offset_ms * _NS_PER_MS)

    def span(
        self,
        name: str,
        parent: str,
        start_ns: int,
        end_ns: int,
        attributes: Attributes,
        span_id: str | None = None,
        status: SpanStatus = SpanStatus.UNSET,
        message: str = "",
    ) -> Span:
        attributes = {
            General.SESSION_ID: self.record.call_id,
            GenAI.CONVERSATION_ID: self.record.call_id,
            **attributes,
        }
        built = Span(
            trace_id=self.trace_id,
            span_id=span_id or self.ids.next(),
            name=name,
            start_time_unix_nano=start_ns,
            end_time_unix_nano=max(end_ns, start_ns),
            parent_span_id=parent,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            status_code=status,
            status_message=message,
            resource=self.resource,
            scope=self.scope,
        )
        self.spans.append(built)
        return built


def _llm_attributes(record: CallRecord) -> Attributes:
    config = record.config
    attributes: Attributes = {
        GenAI.OPERATION_NAME: "chat",
        VoiceCall.LLM_DERIVED: True,
    }
    _set(attributes, GenAI.PROVIDER_NAME, config.llm_provider)
    _set(attributes, GenAI.REQUEST_MODEL, config.llm_model)
    _set(attributes, GenAI.REQUEST_TEMPERATURE, config.temperature)
    if config.system_prompt:
        attributes[GenAI.SYSTEM_INSTRUCTIONS] = to_json_text(
            [{"type": "text", "content": config.system_prompt}]
        )
    if config.tools:
        definitions = [
            {
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            }
            for tool in config.tools
        ]
        attributes[GenAI.TOOL_DEFINITIONS] = json.dumps(definitions, ensure_ascii=False)
    return attributes


def _text_message(role: str, text: str) -> dict[str, AnyValue]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def _emit_turn(
    builder: _Builder, index: int, turn: Turn, root_id: str, cursor_ns: int, flags: _Flags
) -> int:
    """Spans of one turn; returns the earliest time the next turn may start."""
    said = [e for e in turn.agent if isinstance(e, Utterance)]
    user_start, user_end = first_start(turn.user), last_end(turn.user)
    agent_start, agent_end = first_start(said), last_end(said)
    times = [
        t
        for t in (
            user_start,
            user_end,
            agent_start,
            agent_end,
            *(t.call_ms for t in turn.agent if isinstance(t, ToolUse)),
            *(t.result_ms for t in turn.agent if isinstance(t, ToolUse)),
        )
        if t is not None
    ]
    # Turns are ordered by start time: never at or before the previous one's start.
    start_ns = max(builder.at(min(times) if times else None, cursor_ns), cursor_ns)
    end_ns = max(builder.at(max(times) if times else None, cursor_ns), start_ns)
    utterances = sorted(
        [*turn.user, *said], key=lambda u: u.start_ms if u.start_ms is not None else 0
    )
    attributes: Attributes = {
        VoiceCall.TURN_INDEX: index,
        VoiceCall.TURN_BARGE_IN: flags.barge_in,
        VoiceCall.TURN_AGENT_INTERRUPTED: flags.agent_interrupted,
        VoiceCall.TURN_AGENT_TALKED_OVER: before(agent_start, user_end),
        VoiceCall.TURN_UTTERANCES: to_json_text(
            [_utterance_json(flags.marked.get(id(u), u)) for u in utterances]
        ),
    }
    _set(attributes, VoiceCall.TURN_USER_TEXT, joined_text(turn.user))
    _set(attributes, VoiceCall.TURN_AGENT_TEXT, joined_text(said))
    _set(attributes, VoiceCall.TURN_USER_START_MS, user_start)
    _set(attributes, VoiceCall.TURN_USER_END_MS, user_end)
    _set(attributes, VoiceCall.TURN_AGENT_START_MS, agent_start)
    _set(attributes, VoiceCall.TURN_AGENT_END_MS, agent_end)
    turn_id = builder.ids.next()
    user_text = joined_text(turn.user)
    builder.history = [_text_message("user", user_text)] if user_text is not None else []
    cursor = max(builder.at(user_end if user_end is not None else user_start, start_ns), start_ns)
    for step in answer_steps(turn.agent):
        cursor = _emit_step(builder, step, turn_id, cursor)
    end_ns = max(end_ns, cursor)
    builder.span(VoiceCall.SPAN_TURN, root_id, start_ns, end_ns, attributes, span_id=turn_id)
    return max(start_ns + _TICK_NS, cursor)


def _emit_step(builder: _Builder, step: Step, parent: str, start_ns: int) -> int:
    """A derived model call and the tool calls it asked for; returns when the step ended."""
    first_sound = first_start(step.said)
    first_tool = next((t.call_ms for t in step.tools if t.call_ms is not None), None)
    answered = [t for t in (first_sound, first_tool) if t is not None]
    end_ns = max(builder.at(min(answered) if answered else None, start_ns), start_ns)
    parts: list[AnyValue] = []
    said = joined_text(step.said)
    if said is not None:
        parts.append({"type": "text", "content": said})
    for tool in step.tools:
        parts.append(
            {
                "type": "tool_call",
                "id": tool.call_id,
                "name": tool.name,
                "arguments": tool.arguments,
            }
        )
    output: list[AnyValue] = [{"role": "assistant", "parts": parts, "finish_reason": _finish(step)}]
    attributes = _llm_attributes(builder.record)
    attributes[GenAI.INPUT_MESSAGES] = to_json_text(builder.history)
    attributes[GenAI.OUTPUT_MESSAGES] = to_json_text(output)
    model = builder.record.config.llm_model
    builder.span(f"chat {model}" if model else "chat", parent, start_ns, end_ns, attributes)
    builder.history.append({"role": "assistant", "parts": parts})
    cursor = max(end_ns, start_ns + _TICK_NS)
    for tool in step.tools:
        cursor = _emit_tool(builder, tool, parent, cursor)
    return cursor


def _finish(step: Step) -> str:
    return "tool_call" if step.tools else "stop"


def _emit_tool(builder: _Builder, tool: ToolUse, parent: str, cursor_ns: int) -> int:
    start_ns = max(builder.at(tool.call_ms, cursor_ns), cursor_ns)
    end_ns = max(builder.at(tool.result_ms, start_ns), start_ns)
    attributes: Attributes = {GenAI.OPERATION_NAME: "execute_tool", GenAI.TOOL_NAME: tool.name}
    _set(attributes, GenAI.TOOL_CALL_ID, tool.call_id)
    if tool.arguments is not None:
        attributes[GenAI.TOOL_CALL_ARGUMENTS] = to_json_text(tool.arguments)
    if tool.has_result and tool.result is not None:
        result = tool.result
        attributes[GenAI.TOOL_CALL_RESULT] = (
            result if isinstance(result, str) else to_json_text(result)
        )
    _set(attributes, VoiceCall.TOOL_CALL_MS, tool.call_ms)
    _set(attributes, VoiceCall.TOOL_RESULT_MS, tool.result_ms)
    status = SpanStatus.ERROR if tool.error is not None else SpanStatus.UNSET
    builder.span(
        f"execute_tool {tool.name}",
        parent,
        start_ns,
        end_ns,
        attributes,
        status=status,
        message=tool.error or "",
    )
    if tool.has_result:
        response = {"type": "tool_call_response", "id": tool.call_id, "response": tool.result}
        builder.history.append({"role": "tool", "parts": [response]})
    return max(end_ns, start_ns + _TICK_NS)


@dataclass(frozen=True)
class _Flags:
    barge_in: bool
    agent_interrupted: bool
    # Utterances with their `interrupted` mark set, by identity of the unmarked one.
    marked: dict[int, Utterance]


def _root_attributes(
    record: CallRecord, utterances: list[Utterance], greeting: str | None
) -> Attributes:
    attributes: Attributes = {
        VoiceCall.ID: record.call_id,
        VoiceCall.PLATFORM: record.platform,
        VoiceCall.SOURCE: record.source,
        VoiceCall.END_REASON_BUCKET: (record.end_reason_bucket or EndReasonBucket.UNKNOWN).value,
        VoiceCall.CONFIG: record.config.model_dump_json(exclude_defaults=True),
        VoiceCall.RAW: json.dumps(record.raw, ensure_ascii=False),
        VoiceCall.UTTERANCES: to_json_text([_utterance_json(u) for u in utterances]),
    }
    recordings = record.recordings
    for key, value in (
        (VoiceCall.TYPE, record.call_type),
        (VoiceCall.DIRECTION, record.direction),
        (VoiceCall.AGENT_ID, record.config.agent_id),
        (VoiceCall.AGENT_VERSION, record.config.agent_version),
        (VoiceCall.DURATION_MS, record.duration_ms),
        (VoiceCall.END_REASON, record.end_reason),
        (VoiceCall.COST_USD, record.cost_usd),
        (VoiceCall.RECORDING_MIXED_URL, recordings.mixed),
        (VoiceCall.RECORDING_STEREO_URL, recordings.stereo),
        (VoiceCall.RECORDING_USER_URL, recordings.user),
        (VoiceCall.RECORDING_AGENT_URL, recordings.agent),
        (VoiceCall.GREETING_TEXT, greeting),
        (GenAI.AGENT_NAME, record.config.agent_name),
    ):
        _set(attributes, key, value)
    if record.native_metrics:
        attributes[VoiceCall.NATIVE_METRICS] = to_json_text(record.native_metrics)
    return attributes


def call_spans(record: CallRecord) -> list[Span]:
    """The call as spans: the root, then each turn with its model and tool calls."""
    trace_id, ids = _ids(record)
    base_ms = record.recording_start_unix_ms or 0
    builder = _Builder(
        record=record,
        trace_id=trace_id,
        ids=ids,
        base_ns=_clamped(base_ms * _NS_PER_MS),
        resource=Resource({"service.name": record.config.agent_name or record.platform}),
        scope=Scope(name=SCOPE_NAME),
    )
    events = list(record.events)
    cut = interrupted_indices(events)
    marked = {
        id(e): replace(e, interrupted=True)
        for i, e in enumerate(events)
        if i in cut and isinstance(e, Utterance)
    }
    greeting, turns = group_turns(events)
    utterances = [marked.get(id(u), u) for u in record.utterances]
    root_id = ids.next()
    # Untimed turns follow the greeting.
    cursor = builder.at(last_end(greeting) or first_start(greeting), builder.base_ns)
    previous_agent_end = last_end(greeting)
    for index, turn in enumerate(turns):
        user_start = first_start(turn.user)
        said = [e for e in turn.agent if isinstance(e, Utterance)]
        flags = _Flags(
            barge_in=before(user_start, previous_agent_end),
            agent_interrupted=any(id(u) in marked for u in said),
            marked=marked,
        )
        cursor = _emit_turn(builder, index, turn, root_id, cursor, flags)
        previous_agent_end = last_end(said) if said else previous_agent_end
    start_ns = min((s.start_time_unix_nano for s in builder.spans), default=builder.base_ns)
    end_ns = max((s.end_time_unix_nano for s in builder.spans), default=start_ns)
    if record.duration_ms is not None:
        end_ns = max(end_ns, _clamped(builder.base_ns + record.duration_ms * _NS_PER_MS))
    start_ns = min(start_ns, builder.base_ns)
    root = builder.span(
        VoiceCall.SPAN_CALL,
        "",
        start_ns,
        end_ns,
        _root_attributes(record, utterances, joined_text(greeting)),
        span_id=root_id,
    )
    spans = [root, *builder.spans[:-1]]
    if record.analysis:
        spans.append(_analysis_span(builder, record.analysis, root_id, end_ns))
    return spans


def _verbatim_text(value: AnyValue) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return to_json_text(value)  # Retell's `call_successful` is a boolean: "true" / "false"


def _analysis_span(
    builder: _Builder, analysis: dict[str, AnyValue], root_id: str, at_ns: int
) -> Span:
    """The post-call analysis as its own child of the root, at the call's end. Its id is a
    hash of the call and of the analysis itself: a later delivery that brings the analysis
    (Retell's `call_analyzed` after `call_ended`, a second Vapi report) adds this span to
    the stored call, and the same analysis delivered again is the same span."""
    content = json.dumps(analysis, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(content.encode()).hexdigest()
    seed = f"{builder.record.platform}:{builder.record.call_id}"
    span_id = hashlib.sha256(f"analysis:{seed}:{digest}".encode()).hexdigest()[:16]
    attributes: Attributes = {VoiceCall.ANALYSIS_RAW: content}
    for key, names in (
        (VoiceCall.ANALYSIS_SUMMARY, ("summary", "call_summary")),
        (VoiceCall.ANALYSIS_SUCCESS, ("successEvaluation", "call_successful")),
        (VoiceCall.ANALYSIS_SENTIMENT, ("user_sentiment",)),
    ):
        found = next((analysis[n] for n in names if analysis.get(n) is not None), None)
        _set(attributes, key, _verbatim_text(found))
    return builder.span(VoiceCall.SPAN_ANALYSIS, root_id, at_ns, at_ns, attributes, span_id=span_id)


def call_trace_request(record: CallRecord) -> trace_service_pb2.ExportTraceServiceRequest:
    """The call's spans as one OTLP export request (what the store path takes)."""
    return spans_to_request(call_spans(record))
