"""Voice timelines from stored spans: LiveKit Agents, Pipecat, and our voice-call convention
(Vapi and Retell calls imported as spans, docs/semconv.md section 12).

Times become milliseconds from the start of the call: the session span (`agent_session`,
`conversation`) for the frameworks, the recording start for imported calls.
"""

from __future__ import annotations

from collections.abc import Sequence

from otel_replay.core.records import AnyValue, Span
from otel_replay.semconv.attributes import GenAI, LiveKit, Pipecat, VoiceCall
from otel_replay.semconv.calls import Utterance as CallUtterance
from otel_replay.semconv.calls import utterances_from
from otel_replay.semconv.values import as_bool, as_float, as_str, parse_json
from otel_replay.semconv.voice import is_livekit, is_pipecat, livekit_turn_text
from otel_replay.voice.timeline import Speaker, TimelineToolCall, Utterance, VoiceTimeline

__all__ = ["replay_cost_usd", "timeline_from_spans"]


def timeline_from_spans(spans: Sequence[Span]) -> VoiceTimeline | None:
    """The call's timeline, from the first convention that recorded one; None when the
    spans hold no voice call."""
    calls = [s for s in spans if s.name == VoiceCall.SPAN_CALL]
    if calls:
        return _from_voice_call(calls[0], spans)
    if any(s.name == LiveKit.SPAN_USER_TURN and is_livekit(s) for s in spans):
        return _from_livekit(spans)
    if any(s.name == Pipecat.SPAN_TURN and Pipecat.TURN_NUMBER in s.attributes for s in spans):
        return _from_pipecat(spans)
    return None


def replay_cost_usd(spans: Sequence[Span]) -> float | None:
    """What a replay's requests to a hosted platform cost (their spans' `voice.call.cost_usd`,
    added up); None when none says."""
    costs = [
        cost
        for s in spans
        if s.name != VoiceCall.SPAN_CALL
        and (cost := as_float(s.attributes.get(VoiceCall.COST_USD))) is not None
    ]
    return sum(costs) if costs else None


def _ms(unix_nano: int, origin: int) -> float:
    return (unix_nano - origin) / 1e6


def _seconds_ms(value: AnyValue) -> float | None:
    seconds = as_float(value)
    return None if seconds is None else seconds * 1000.0


# -- the voice-call convention -------------------------------------------------------------


def _numbered(items: Sequence[CallUtterance]) -> list[Utterance]:
    """Our utterances, with their turn: a user utterance after agent speech starts the next
    one (the convention's own turn rule)."""
    found: list[Utterance] = []
    turn = -1
    previous: str | None = None
    for item in items:
        if item.role == "user" and previous != "user":
            turn += 1
        previous = item.role
        found.append(
            Utterance(
                speaker=Speaker.USER if item.role == "user" else Speaker.AGENT,
                text=item.text,
                start_ms=None if item.start_ms is None else float(item.start_ms),
                end_ms=None if item.end_ms is None else float(item.end_ms),
                speech_ms=None if item.speech_ms is None else float(item.speech_ms),
                interrupted=item.interrupted,
                turn=turn if turn >= 0 else None,
            )
        )
    return found


def _from_voice_call(call: Span, spans: Sequence[Span]) -> VoiceTimeline:
    attributes = call.attributes
    items = utterances_from(attributes.get(VoiceCall.UTTERANCES))
    origin = call.start_time_unix_nano
    tools = tuple(
        TimelineToolCall(
            name=as_str(s.attributes.get(GenAI.TOOL_NAME)) or s.name,
            arguments=parse_json(s.attributes.get(GenAI.TOOL_CALL_ARGUMENTS)),
            result=parse_json(s.attributes.get(GenAI.TOOL_CALL_RESULT)),
            start_ms=as_float(s.attributes.get(VoiceCall.TOOL_CALL_MS)),
            end_ms=as_float(s.attributes.get(VoiceCall.TOOL_RESULT_MS)),
        )
        for s in spans
        if s.trace_id == call.trace_id and VoiceCall.TOOL_CALL_MS in s.attributes
    )
    duration = as_float(attributes.get(VoiceCall.DURATION_MS))
    return VoiceTimeline(
        source=as_str(attributes.get(VoiceCall.PLATFORM)) or "voice_call",
        utterances=tuple(_numbered(items)),
        tool_calls=tools,
        end_reason=as_str(attributes.get(VoiceCall.END_REASON))
        or as_str(attributes.get(VoiceCall.END_REASON_BUCKET)),
        cost_usd=as_float(attributes.get(VoiceCall.COST_USD)),
        duration_ms=duration if duration is not None else _ms(call.end_time_unix_nano, origin),
    )


# -- LiveKit Agents ------------------------------------------------------------------------


def _session_origin(spans: Sequence[Span], root_name: str) -> tuple[int, int]:
    roots = [s for s in spans if s.name == root_name]
    if roots:
        return roots[0].start_time_unix_nano, roots[0].end_time_unix_nano
    return (
        min(s.start_time_unix_nano for s in spans),
        max(s.end_time_unix_nano for s in spans),
    )


def _ancestor(span: Span, by_id: dict[str, Span], name: str) -> Span | None:
    seen = 0
    current = by_id.get(span.parent_span_id)
    while current is not None and seen < 64:
        if current.name == name:
            return current
        current = by_id.get(current.parent_span_id)
        seen += 1
    return None


def _from_livekit(spans: Sequence[Span]) -> VoiceTimeline:
    """User speech: `user_turn` spans. Agent speech: `tts_node` spans (else `tts_request`),
    from their start plus the TTS time to first byte to their end; interrupted when the
    enclosing `agent_turn` says `lk.interrupted`."""
    livekit = sorted((s for s in spans if is_livekit(s)), key=lambda s: s.start_time_unix_nano)
    origin, end = _session_origin(livekit, LiveKit.SPAN_AGENT_SESSION)
    by_id = {s.span_id: s for s in livekit}
    utterances: list[Utterance] = []
    turn = -1
    tts_name = (
        LiveKit.SPAN_TTS_NODE
        if any(s.name == LiveKit.SPAN_TTS_NODE for s in livekit)
        else LiveKit.SPAN_TTS_REQUEST
    )
    for span in livekit:
        if span.name == LiveKit.SPAN_USER_TURN:
            turn += 1
            utterances.append(
                Utterance(
                    Speaker.USER,
                    livekit_turn_text(span).user_text or "",
                    _ms(span.start_time_unix_nano, origin),
                    _ms(span.end_time_unix_nano, origin),
                    turn=turn,
                )
            )
        elif span.name == tts_name:
            utterances.append(_livekit_speech(span, livekit, by_id, origin, turn))
    session = next((s for s in livekit if s.name == LiveKit.SPAN_AGENT_SESSION), None)
    reason = None
    if session is not None:
        reason = as_str(session.attributes.get(LiveKit.CLOSE_REASON)) or as_str(
            session.attributes.get(LiveKit.DISCONNECT_REASON)
        )
    tools = tuple(
        TimelineToolCall(
            name=as_str(s.attributes.get(LiveKit.FUNCTION_TOOL_NAME)) or s.name,
            start_ms=_ms(s.start_time_unix_nano, origin),
            end_ms=_ms(s.end_time_unix_nano, origin),
        )
        for s in livekit
        if s.name == LiveKit.SPAN_FUNCTION_TOOL
    )
    return VoiceTimeline(
        source="livekit",
        utterances=tuple(utterances),
        tool_calls=tools,
        end_reason=reason,
        duration_ms=_ms(end, origin),
    )


def _livekit_speech(
    span: Span, spans: Sequence[Span], by_id: dict[str, Span], origin: int, turn: int
) -> Utterance:
    texts = [livekit_turn_text(span).assistant_text] + [
        livekit_turn_text(child).assistant_text
        for child in spans
        if child.parent_span_id == span.span_id
    ]
    ttfb = _seconds_ms(span.attributes.get(LiveKit.RESPONSE_TTFB)) or 0.0
    agent_turn = _ancestor(span, by_id, LiveKit.SPAN_AGENT_TURN)
    interrupted = agent_turn is not None and (
        as_bool(agent_turn.attributes.get(LiveKit.INTERRUPTED)) is True
    )
    return Utterance(
        Speaker.AGENT,
        next((t for t in texts if t), ""),
        _ms(span.start_time_unix_nano, origin) + ttfb,
        _ms(span.end_time_unix_nano, origin),
        interrupted=interrupted,
        turn=turn if turn >= 0 else None,
    )


# -- Pipecat -------------------------------------------------------------------------------


def _within(span: Span, outer: Span) -> bool:
    return (
        outer.start_time_unix_nano <= span.start_time_unix_nano <= outer.end_time_unix_nano
        and span.trace_id == outer.trace_id
    )


def _from_pipecat(spans: Sequence[Span]) -> VoiceTimeline:
    """User speech: final `stt` spans. Agent speech: `tts` spans, from their start plus
    `metrics.ttfb` to their end; the turn's first one starts `turn.user_bot_latency_seconds`
    after the user stopped when the turn says so (Pipecat measures that from the audio,
    the tts span only times the synthesis). `turn.was_interrupted` marks the turn's last."""
    ordered = sorted(spans, key=lambda s: s.start_time_unix_nano)
    origin, end = _session_origin(ordered, Pipecat.SPAN_CONVERSATION)
    turns = [s for s in ordered if s.name == Pipecat.SPAN_TURN]
    utterances: list[Utterance] = []
    for index, turn_span in enumerate(turns):
        inside = [s for s in ordered if s is not turn_span and _within(s, turn_span)]
        users = [
            Utterance(
                Speaker.USER,
                as_str(s.attributes.get(Pipecat.TRANSCRIPT)) or "",
                _ms(s.start_time_unix_nano, origin),
                _ms(s.end_time_unix_nano, origin),
                turn=index,
            )
            for s in inside
            if s.name == Pipecat.SPAN_STT
            and is_pipecat(s)
            and as_bool(s.attributes.get(Pipecat.IS_FINAL)) is not False
        ]
        speech = [s for s in inside if s.name == Pipecat.SPAN_TTS and is_pipecat(s)]
        latency = _seconds_ms(turn_span.attributes.get(Pipecat.TURN_USER_BOT_LATENCY))
        interrupted = as_bool(turn_span.attributes.get(Pipecat.TURN_WAS_INTERRUPTED)) is True
        agents = []
        for position, s in enumerate(speech):
            start = _ms(s.start_time_unix_nano, origin) + (
                _seconds_ms(s.attributes.get(Pipecat.METRICS_TTFB)) or 0.0
            )
            last_user_end = users[-1].end_ms if users else None
            if position == 0 and latency is not None and last_user_end is not None:
                start = last_user_end + latency
            agents.append(
                Utterance(
                    Speaker.AGENT,
                    as_str(s.attributes.get(Pipecat.TEXT)) or "",
                    start,
                    _ms(s.end_time_unix_nano, origin),
                    interrupted=interrupted and position == len(speech) - 1,
                    turn=index,
                )
            )
        utterances += users + agents
    return VoiceTimeline(
        source="pipecat", utterances=tuple(utterances), duration_ms=_ms(end, origin)
    )
