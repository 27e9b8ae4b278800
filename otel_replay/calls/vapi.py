"""Vapi calls: the `GET /call/{id}` object and the end-of-call-report webhook body.

Units as real calls send them, not as the API reference says: message `time`/`endTime`
are epoch milliseconds, `duration` is milliseconds (the reference says seconds; a value
that only makes sense as seconds is read as seconds), `secondsFromStart` is seconds from
the recording's start. Numbers may come as strings. The end-of-call report's `call` is the
call as created: the outcome (ended reason, times, cost, artifact) is read from the report
itself first. Legacy top-level `messages`, `recordingUrl`, `stereoRecordingUrl`,
`durationMs`/`durationSeconds` are read when the artifact lacks them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from otel_replay.calls.record import (
    CallRecord,
    Event,
    Recordings,
    ToolUse,
    arguments_of,
    first,
    first_speaker_of,
    iso_unix_ms,
    ms,
    number,
    obj,
    objs,
    text,
    transcript_events,
    whole_ms,
)
from otel_replay.core.errors import BadInputError
from otel_replay.core.records import AnyValue
from otel_replay.core.values import to_json_value
from otel_replay.scenario.model import ToolSpec, VoiceSnapshot
from otel_replay.semconv.calls import Utterance
from otel_replay.voice.end_reasons import bucket_end_reason

SOURCE_CALL = "vapi.call"
SOURCE_REPORT = "vapi.end_of_call_report"
END_OF_CALL_REPORT = "end-of-call-report"

Getter = Callable[[str], AnyValue]

_DIRECTIONS = {
    "inboundPhoneCall": "inbound",
    "outboundPhoneCall": "outbound",
    "webCall": "web",
    "vapi.websocketCall": "web",
}
_AGENT_ROLES = ("bot", "assistant")


def is_vapi_report(payload: dict[str, AnyValue]) -> bool:
    """A webhook body whose message is an end-of-call report."""
    return obj(payload.get("message")).get("type") == END_OF_CALL_REPORT


def is_vapi_message(payload: dict[str, AnyValue]) -> bool:
    """Any Vapi server message (`{"message": {"type": ...}}`)."""
    return isinstance(obj(payload.get("message")).get("type"), str)


def is_vapi_call(payload: dict[str, AnyValue]) -> bool:
    """A Vapi call object: an `id` and one of the fields only a call has."""
    markers = ("orgId", "endedReason", "artifact", "assistantId", "phoneCallProvider")
    return isinstance(payload.get("id"), str) and (
        text(payload.get("type")) in _DIRECTIONS or any(key in payload for key in markers)
    )


def parse_vapi(
    payload: dict[str, AnyValue],
    assistant: dict[str, AnyValue] | None = None,
    raw: dict[str, AnyValue] | None = None,
) -> CallRecord:
    """A call record from an end-of-call report body or a call object; `assistant` is the
    assistant configuration fetched apart (`GET /assistant/{id}`), if any; `raw` the
    document it came in, when not `payload` itself."""
    if is_vapi_report(payload):
        report = obj(payload.get("message"))
        views = [report, obj(report.get("call"))]
        source = SOURCE_REPORT
    elif is_vapi_call(payload):
        views = [payload]
        source = SOURCE_CALL
    else:
        raise BadInputError("not a Vapi call or end-of-call report")
    call_id = text(first(*(v.get("id") for v in views[1:]), views[0].get("id")))
    if call_id is None:
        raise BadInputError("the Vapi call has no id")

    def get(key: str) -> AnyValue:
        return first(*(view.get(key) for view in views))

    artifact = obj(get("artifact"))
    messages = objs(artifact.get("messages")) or objs(get("messages"))
    started = iso_unix_ms(get("startedAt"))
    # A report sent for a call that never connected may only have its own timestamp.
    base = (
        _recording_start(messages)
        or started
        or iso_unix_ms(get("createdAt"))
        or ms(views[0].get("timestamp"))
    )
    events = _events(messages, base) if messages else _transcript_events(artifact, get)
    record_type = text(views[-1].get("type"))  # the report has a `type` of its own
    return CallRecord(
        platform="vapi",
        source=source,
        call_id=call_id,
        raw=raw if raw is not None else payload,
        events=tuple(events),
        call_type=record_type,
        direction=_DIRECTIONS.get(record_type or ""),
        recording_start_unix_ms=base,
        duration_ms=_duration(get, started),
        end_reason=text(get("endedReason")),
        end_reason_bucket=bucket_end_reason(text(get("endedReason"))),
        cost_usd=number(get("cost")) or number(obj(get("costBreakdown")).get("total")),
        recordings=_recordings(artifact, get),
        config=_snapshot(views, get, messages, events, assistant),
        native_metrics=obj(artifact.get("performanceMetrics")) or None,
        analysis=_analysis(get),
    )


def _analysis(get: Getter) -> dict[str, AnyValue] | None:
    """The call's analysis; a legacy report's top-level `summary` alone counts as one."""
    analysis = obj(get("analysis"))
    summary = text(get("summary"))
    if not analysis and summary is not None:
        return {"summary": summary}
    return analysis or None


def _recording_start(messages: Sequence[dict[str, AnyValue]]) -> int | None:
    """Epoch ms of the recording's start: a message's `time` minus its `secondsFromStart`."""
    for message in messages:
        time, offset = number(message.get("time")), number(message.get("secondsFromStart"))
        if time and offset is not None and message.get("role") != "system":
            return whole_ms(time - offset * 1000)
    return None


def _offset(message: dict[str, AnyValue], base: int | None, key: str = "time") -> int | None:
    if key == "time":
        seconds = number(message.get("secondsFromStart"))
        if seconds is not None:
            return whole_ms(seconds * 1000)
    time = number(message.get(key))
    return whole_ms(time - base) if time and base is not None else None


def speech_ms(value: AnyValue, span_ms: int | None) -> int | None:
    """Vapi `duration` in ms: milliseconds on real calls, seconds in the reference. With the
    utterance's `endTime - time`, the nearer reading wins; without it, under 100 is seconds
    (no utterance with words lasts under 100 ms)."""
    found = number(value)
    if found is None or found < 0:
        return None
    if span_ms is not None and span_ms > 0:
        nearer_ms = abs(found - span_ms) <= abs(found * 1000 - span_ms)
        return whole_ms(found) if nearer_ms else whole_ms(found * 1000)
    return whole_ms(found * 1000) if found < 100 else whole_ms(found)


def _utterance(message: dict[str, AnyValue], role: str, base: int | None) -> Utterance | None:
    words = text(message.get("message"))
    if words is None:
        return None
    start = _offset(message, base)
    time, end_time = number(message.get("time")), number(message.get("endTime"))
    span = whole_ms(end_time - time) if time and end_time and end_time >= time else None
    speech = speech_ms(message.get("duration"), span)
    end: int | None = None
    if start is not None:
        if span is not None:
            end = start + span
        elif speech is not None:
            end = start + speech
    return Utterance(role=role, text=words, start_ms=start, end_ms=end, speech_ms=speech)


def _events(messages: Sequence[dict[str, AnyValue]], base: int | None) -> list[Event]:
    events: list[Event] = []
    results: dict[str, dict[str, AnyValue]] = {}
    for message in messages:
        if message.get("role") == "tool_call_result":
            call_id = text(message.get("toolCallId"))
            if call_id is not None:
                results.setdefault(call_id, message)
    for message in messages:
        role = message.get("role")
        if role == "user" or role in _AGENT_ROLES:
            utterance = _utterance(message, "user" if role == "user" else "agent", base)
            if utterance is not None:
                events.append(utterance)
        elif role == "tool_calls":
            for call in objs(message.get("toolCalls")):
                events.append(_tool_use(call, message, results, base))
    return events


def _tool_use(
    call: dict[str, AnyValue],
    message: dict[str, AnyValue],
    results: dict[str, dict[str, AnyValue]],
    base: int | None,
) -> ToolUse:
    function = obj(call.get("function"))
    call_id = text(call.get("id"))
    result = results.get(call_id) if call_id is not None else None
    return ToolUse(
        name=text(function.get("name")) or text(call.get("name")) or "unknown",
        call_id=call_id,
        arguments=arguments_of(function.get("arguments")),
        result=arguments_of(result.get("result")) if result is not None else None,
        has_result=result is not None,
        call_ms=_offset(message, base),
        result_ms=_offset(result, base) if result is not None else None,
    )


def _transcript_events(artifact: dict[str, AnyValue], get: Getter) -> list[Event]:
    """Utterances without times from the "AI: ...\\nUser: ..." transcript text."""
    transcript = text(artifact.get("transcript")) or text(get("transcript")) or ""
    return transcript_events(transcript, ("user", "customer"))


def _duration(get: Getter, started: int | None) -> int | None:
    ended = iso_unix_ms(get("endedAt"))
    if started is not None and ended is not None and ended >= started:
        return ended - started
    if (found := ms(get("durationMs"))) is not None:
        return found
    seconds = number(get("durationSeconds"))
    return whole_ms(seconds * 1000) if seconds is not None else None


def _recordings(artifact: dict[str, AnyValue], get: Getter) -> Recordings:
    """Stable URLs first; the presigned ones (newer API versions) expire, so they come last."""
    recording = obj(artifact.get("recording"))
    mono = obj(recording.get("mono"))
    return Recordings(
        mixed=text(
            first(
                mono.get("combinedUrl"),
                artifact.get("recordingUrl"),
                get("recordingUrl"),
                artifact.get("presignedMonoUrl"),
            )
        ),
        stereo=text(
            first(
                recording.get("stereoUrl"),
                artifact.get("stereoRecordingUrl"),
                get("stereoRecordingUrl"),
                artifact.get("presignedStereoUrl"),
            )
        ),
        user=text(first(mono.get("customerUrl"), artifact.get("presignedCustomerUrl"))),
        agent=text(first(mono.get("assistantUrl"), artifact.get("presignedAssistantUrl"))),
    )


def _merged(base: dict[str, AnyValue], overrides: dict[str, AnyValue]) -> dict[str, AnyValue]:
    """`assistantOverrides` over an assistant: nested objects merged key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        known = merged.get(key)
        if isinstance(known, dict) and isinstance(value, dict):
            merged[key] = _merged(known, value)
        else:
            merged[key] = value
    return merged


def _tools(assistant: dict[str, AnyValue]) -> list[ToolSpec]:
    model = obj(assistant.get("model"))
    specs: dict[str, ToolSpec] = {}
    for tool in [*objs(model.get("tools")), *objs(assistant.get("tools"))]:
        function = obj(tool.get("function")) or tool
        name = text(function.get("name")) or text(tool.get("type"))
        if name is not None and name not in specs:
            specs[name] = ToolSpec(
                name=name,
                description=text(function.get("description")),
                parameters=to_json_value(function.get("parameters")),
            )
    return list(specs.values())


def _cost_component(get: Getter, kind: str) -> dict[str, AnyValue]:
    """What a `costs[]` entry says was used (model, voice, transcriber)."""
    for cost in objs(get("costs")):
        if cost.get("type") == kind:
            return obj(cost.get(kind))
    return {}


def _system_prompt(
    messages: Sequence[dict[str, AnyValue]], assistant: dict[str, AnyValue]
) -> str | None:
    # The rendered prompt (variables filled in) is what was sent; the configured one is not.
    sent = next((text(m.get("message")) for m in messages if m.get("role") == "system"), None)
    if sent is not None:
        return sent
    model = obj(assistant.get("model"))
    configured = [
        text(m.get("content")) for m in objs(model.get("messages")) if m.get("role") == "system"
    ]
    return next((p for p in configured if p), None) or text(model.get("systemPrompt"))


_ENDPOINTING_KEYS = (
    "startSpeakingPlan",
    "stopSpeakingPlan",
    "silenceTimeoutSeconds",
    "maxDurationSeconds",
    "firstMessageInterruptionsEnabled",
    "backgroundDenoisingEnabled",
)


def _first_speaker(
    assistant: dict[str, AnyValue], events: Sequence[Event]
) -> Literal["agent", "user"] | None:
    mode = text(assistant.get("firstMessageMode"))
    if mode == "assistant-waits-for-user":
        return "user"
    if mode is not None and mode.startswith("assistant-speaks-first"):
        return "agent"
    return first_speaker_of(list(events))


def _snapshot(
    views: Sequence[dict[str, AnyValue]],
    get: Getter,
    messages: Sequence[dict[str, AnyValue]],
    events: Sequence[Event],
    fetched: dict[str, AnyValue] | None,
) -> VoiceSnapshot:
    # Most faithful first: the report's resolved assistant, an assistant fetched with the
    # call, the call's inline (transient) assistant; overrides apply on top.
    report_assistant = obj(views[0].get("assistant")) if len(views) > 1 else {}
    candidates = (
        (report_assistant, "eocr.assistant"),
        (fetched or {}, "file.assistant"),
        (obj(get("assistant")), "call.assistant"),
    )
    assistant, source = next(((a, s) for a, s in candidates if a), ({}, "call"))
    overrides = obj(get("assistantOverrides"))
    if overrides:
        assistant = _merged(assistant, overrides)
    model, voice, transcriber = (obj(assistant.get(k)) for k in ("model", "voice", "transcriber"))
    used_model = _cost_component(get, "model")
    used_voice = _cost_component(get, "voice")
    used_transcriber = _cost_component(get, "transcriber")
    endpointing = {k: to_json_value(assistant[k]) for k in _ENDPOINTING_KEYS if k in assistant}
    if "endpointing" in transcriber:
        endpointing["transcriber.endpointing"] = to_json_value(transcriber["endpointing"])
    version = first(get("assistantVersion"))
    # The values the call ran with: the artifact's (resolved at call time), the overrides'
    # (what the caller passed) over them.
    variables = {
        **obj(obj(get("artifact")).get("variableValues")),
        **obj(overrides.get("variableValues")),
    }
    raw: dict[str, AnyValue] = {"assistant": assistant} if assistant else {}
    if overrides:
        raw["assistantOverrides"] = overrides
    return VoiceSnapshot(
        platform="vapi",
        agent_id=text(first(get("assistantId"), assistant.get("id"))),
        agent_name=text(assistant.get("name")),
        agent_version=str(version) if version is not None else None,
        system_prompt=_system_prompt(messages, assistant),
        first_message=text(assistant.get("firstMessage")),
        first_speaker=_first_speaker(assistant, events),
        llm_provider=text(first(model.get("provider"), used_model.get("provider"))),
        llm_model=text(first(model.get("model"), used_model.get("model"))),
        temperature=number(model.get("temperature")),
        voice_provider=text(first(voice.get("provider"), used_voice.get("provider"))),
        voice_id=text(first(voice.get("voiceId"), used_voice.get("voiceId"))),
        transcriber_provider=text(
            first(transcriber.get("provider"), used_transcriber.get("provider"))
        ),
        transcriber_model=text(first(transcriber.get("model"), used_transcriber.get("model"))),
        language=text(transcriber.get("language")),
        tools=_tools(assistant),
        endpointing=endpointing,
        source=source,
        variables={k: to_json_value(v) for k, v in variables.items()},
        raw=to_json_value(raw) if raw else None,
    )
