"""Reader of otel-replay's voice-call convention (docs/semconv.md section 12).

A hosted voice call (Vapi, Retell) imported as spans: a `voice.call` root, `voice.turn`
spans with the texts and speech offsets, GenAI `chat` and `execute_tool` spans under them
(read by the GenAI normaliser).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from otel_replay.core.records import AnyValue, Span
from otel_replay.semconv.attributes import VoiceCall
from otel_replay.semconv.facts import TurnText
from otel_replay.semconv.model import SpanRole
from otel_replay.semconv.values import as_bool, as_int, as_str, dicts, json_list, json_object

_ROLES: dict[str, SpanRole] = {
    VoiceCall.SPAN_CALL: SpanRole.VOICE_SESSION,
    VoiceCall.SPAN_TURN: SpanRole.VOICE_TURN,
}


def voice_call_role(span: Span) -> SpanRole:
    """VOICE_SESSION for a call root, VOICE_TURN for a turn span, else UNKNOWN."""
    role = _ROLES.get(span.name)
    if role is SpanRole.VOICE_TURN and VoiceCall.TURN_INDEX not in span.attributes:
        return SpanRole.UNKNOWN
    if role is SpanRole.VOICE_SESSION and VoiceCall.ID not in span.attributes:
        return SpanRole.UNKNOWN
    return role or SpanRole.UNKNOWN


def is_voice_call_turn(span: Span) -> bool:
    return span.name == VoiceCall.SPAN_TURN and VoiceCall.TURN_INDEX in span.attributes


def turn_text(span: Span) -> TurnText:
    """The user's and the agent's words of a `voice.turn` span; a call's greeting (what a
    call whose user never spoke, a voicemail, holds at all) on its root."""
    attributes = span.attributes
    if span.name == VoiceCall.SPAN_CALL:
        return TurnText(None, as_str(attributes.get(VoiceCall.GREETING_TEXT)))
    if not is_voice_call_turn(span):
        return TurnText()
    return TurnText(
        as_str(attributes.get(VoiceCall.TURN_USER_TEXT)),
        as_str(attributes.get(VoiceCall.TURN_AGENT_TEXT)),
    )


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech; offsets in ms from the start of the recording."""

    role: str  # user or agent
    text: str
    start_ms: int | None = None
    end_ms: int | None = None
    speech_ms: int | None = None
    interrupted: bool = False


def utterances_from(value: AnyValue) -> tuple[Utterance, ...]:
    """Utterances from a `voice.call.utterances` / `voice.turn.utterances` JSON value."""
    found = []
    for item in dicts(json_list(value) or []):
        role = as_str(item.get("role"))
        if role not in ("user", "agent"):
            continue
        found.append(
            Utterance(
                role=role,
                text=as_str(item.get("text")) or "",
                start_ms=as_int(item.get("start_ms")),
                end_ms=as_int(item.get("end_ms")),
                speech_ms=as_int(item.get("speech_ms")),
                interrupted=as_bool(item.get("interrupted")) is True,
            )
        )
    return tuple(found)


@dataclass(frozen=True)
class TurnTiming:
    """The offsets and interruption flags of one `voice.turn` span."""

    index: int
    user_start_ms: int | None
    user_end_ms: int | None
    agent_start_ms: int | None
    agent_end_ms: int | None
    barge_in: bool
    agent_interrupted: bool
    agent_talked_over: bool
    utterances: tuple[Utterance, ...]


def turn_timing(span: Span) -> TurnTiming | None:
    """The timing a `voice.turn` span records; None for any other span."""
    if not is_voice_call_turn(span):
        return None
    a = span.attributes
    return TurnTiming(
        index=as_int(a.get(VoiceCall.TURN_INDEX)) or 0,
        user_start_ms=as_int(a.get(VoiceCall.TURN_USER_START_MS)),
        user_end_ms=as_int(a.get(VoiceCall.TURN_USER_END_MS)),
        agent_start_ms=as_int(a.get(VoiceCall.TURN_AGENT_START_MS)),
        agent_end_ms=as_int(a.get(VoiceCall.TURN_AGENT_END_MS)),
        barge_in=as_bool(a.get(VoiceCall.TURN_BARGE_IN)) is True,
        agent_interrupted=as_bool(a.get(VoiceCall.TURN_AGENT_INTERRUPTED)) is True,
        agent_talked_over=as_bool(a.get(VoiceCall.TURN_AGENT_TALKED_OVER)) is True,
        utterances=utterances_from(a.get(VoiceCall.TURN_UTTERANCES)),
    )


def call_root(spans: Iterable[Span]) -> Span | None:
    """The `voice.call` root among the spans, if any."""
    return next((s for s in spans if voice_call_role(s) is SpanRole.VOICE_SESSION), None)


def voice_config(spans: Iterable[Span]) -> dict[str, AnyValue] | None:
    """The voice snapshot (`voice.call.config`) a call's root span records, or None."""
    root = call_root(spans)
    return json_object(root.attributes.get(VoiceCall.CONFIG)) if root is not None else None


@dataclass(frozen=True)
class CallAnalysis:
    """A post-call analysis a `voice.call.analysis` span records."""

    summary: str | None
    success: str | None  # verbatim: Vapi's successEvaluation, Retell's call_successful
    user_sentiment: str | None
    raw: dict[str, AnyValue] | None


def call_analyses(spans: Iterable[Span]) -> list[CallAnalysis]:
    """Every analysis stored for the call (a delivery that brought a different analysis is
    a span of its own; they share the call's end time, so their order is by span id)."""
    found = [s for s in spans if s.name == VoiceCall.SPAN_ANALYSIS]
    found.sort(key=lambda s: (s.start_time_unix_nano, s.span_id))
    return [
        CallAnalysis(
            summary=as_str(s.attributes.get(VoiceCall.ANALYSIS_SUMMARY)),
            success=as_str(s.attributes.get(VoiceCall.ANALYSIS_SUCCESS)),
            user_sentiment=as_str(s.attributes.get(VoiceCall.ANALYSIS_SENTIMENT)),
            raw=json_object(s.attributes.get(VoiceCall.ANALYSIS_RAW)),
        )
        for s in found
    ]
