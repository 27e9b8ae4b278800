"""Retell calls: `GET /v2/get-call/{id}` and the `call_ended` / `call_analyzed` webhooks.

Units: `start_timestamp`/`end_timestamp` are epoch milliseconds; word `start`/`end` are
seconds of audio (converted to ms); `call_cost` is in cents (converted to US dollars).
`transcript_with_tool_calls` is read first (it holds the tool calls), then
`transcript_object`, then the plain "Agent: ...\\nUser: ..." transcript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from otel_replay.calls.record import (
    CallRecord,
    Event,
    Recordings,
    ToolUse,
    arguments_of,
    first,
    first_speaker_of,
    ms,
    number,
    obj,
    objs,
    speaker,
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

SOURCE_CALL = "retell.call"
WEBHOOK_EVENTS = ("call_ended", "call_analyzed")

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
# transfer_target speaks after a transfer: the other party, on the user's side of the line.
_ROLES = {"agent": "agent", "user": "user", "transfer_target": "user"}
_ENDPOINTING_KEYS = (
    "interruption_sensitivity",
    "responsiveness",
    "enable_backchannel",
    "backchannel_frequency",
    "begin_message_delay_ms",
    "end_call_after_silence_ms",
    "max_call_duration_ms",
    "denoising_mode",
    "stt_mode",
)


def is_retell_webhook(payload: dict[str, AnyValue]) -> bool:
    """A webhook body: an `event` and a `call` with a `call_id`."""
    return isinstance(payload.get("event"), str) and "call_id" in obj(payload.get("call"))


def is_retell_call(payload: dict[str, AnyValue]) -> bool:
    """A Retell call object (`call_id` and a field only a call has)."""
    markers = ("call_type", "agent_id", "call_status", "transcript_object", "start_timestamp")
    return isinstance(payload.get("call_id"), str) and any(k in payload for k in markers)


def parse_retell(
    call: dict[str, AnyValue],
    raw: dict[str, AnyValue],
    source: str = SOURCE_CALL,
    agent: dict[str, AnyValue] | None = None,
    llm: dict[str, AnyValue] | None = None,
) -> CallRecord:
    """A call record from a Retell call object; `raw` is the payload it came in, `agent` and
    `llm` the agent and Retell LLM configurations fetched apart (`GET /get-agent`,
    `GET /get-retell-llm`), if any."""
    call_id = text(call.get("call_id"))
    if call_id is None:
        raise BadInputError("the Retell call has no call_id")
    events = _events(call)
    start = ms(call.get("start_timestamp"))
    end = ms(call.get("end_timestamp"))
    duration = ms(call.get("duration_ms"))
    if duration is None and start is not None and end is not None and end >= start:
        duration = end - start
    cents = number(obj(call.get("call_cost")).get("combined_cost"))
    reason = text(call.get("disconnection_reason"))
    call_type = text(call.get("call_type"))
    return CallRecord(
        platform="retell",
        source=source,
        call_id=call_id,
        raw=raw,
        events=tuple(events),
        call_type=call_type,
        direction="web" if call_type == "web_call" else text(call.get("direction")),
        recording_start_unix_ms=start,
        duration_ms=duration,
        end_reason=reason,
        end_reason_bucket=bucket_end_reason(reason),
        cost_usd=cents / 100 if cents is not None else None,
        # The PII-scrubbed recordings stand in when a call keeps only those.
        recordings=Recordings(
            mixed=text(first(call.get("recording_url"), call.get("scrubbed_recording_url"))),
            stereo=text(
                first(
                    call.get("recording_multi_channel_url"),
                    call.get("scrubbed_recording_multi_channel_url"),
                )
            ),
        ),
        config=_snapshot(call, events, agent, llm),
        native_metrics=obj(call.get("latency")) or None,
        analysis=obj(call.get("call_analysis")) or None,
    )


def _seconds_ms(value: AnyValue) -> int | None:
    seconds = number(value)
    return whole_ms(seconds * 1000) if seconds is not None else None


def _utterance(item: dict[str, AnyValue], role: str) -> Utterance | None:
    words = text(item.get("content"))
    if words is None:
        return None
    timed = [w for w in objs(item.get("words")) if number(w.get("start")) is not None]
    start = _seconds_ms(timed[0].get("start")) if timed else _seconds_ms(item.get("time_sec"))
    end = _seconds_ms(timed[-1].get("end")) if timed else None
    speech = end - start if start is not None and end is not None and end >= start else None
    return Utterance(role=role, text=words, start_ms=start, end_ms=end, speech_ms=speech)


def _events(call: dict[str, AnyValue]) -> list[Event]:
    items = (
        objs(call.get("transcript_with_tool_calls"))
        or objs(call.get("transcript_object"))
        or objs(call.get("scrubbed_transcript_with_tool_calls"))
    )
    plain = transcript_events(text(call.get("transcript")) or "", ("user",))
    if not items:
        return plain
    results = {
        call_id: item
        for item in items
        if item.get("role") == "tool_call_result"
        and (call_id := text(item.get("tool_call_id"))) is not None
    }
    events: list[Event] = []
    for item in items:
        role = text(item.get("role")) or ""
        if role in _ROLES:
            utterance = _utterance(item, _ROLES[role])
            if utterance is not None:
                events.append(utterance)
        elif role == "tool_call_invocation":
            events.append(_tool_use(item, results))
    return _completed(events, plain)


def _completed(events: list[Event], plain: list[Event]) -> list[Event]:
    """A transcript object cut short (documentation examples hold one utterance) is
    completed, without times, from the plain transcript when that starts with the same
    words in the same order."""
    spoken = [e for e in events if isinstance(e, Utterance)]
    if len(plain) <= len(spoken):
        return events
    heard = [e.text for e in plain if isinstance(e, Utterance)]
    if [u.text for u in spoken] != heard[: len(spoken)]:
        return events
    return [*events, *plain[len(spoken) :]]


def _tool_use(item: dict[str, AnyValue], results: dict[str, dict[str, AnyValue]]) -> ToolUse:
    call_id = text(item.get("tool_call_id"))
    result = results.get(call_id) if call_id is not None else None
    error = None
    if result is not None and result.get("successful") is False:
        error = text(result.get("content")) or "tool reported an error"
    return ToolUse(
        name=text(item.get("name")) or "unknown",
        call_id=call_id,
        arguments=arguments_of(item.get("arguments")),
        result=arguments_of(result.get("content")) if result is not None else None,
        has_result=result is not None,
        error=error,
        call_ms=_seconds_ms(item.get("time_sec")),
        result_ms=_seconds_ms(result.get("time_sec")) if result is not None else None,
    )


def _render(template: str | None, variables: dict[str, AnyValue]) -> str | None:
    """A prompt as sent: `{{name}}` filled from the call's dynamic variables."""
    if template is None or not variables:
        return template

    def fill(match: re.Match[str]) -> str:
        value = variables.get(match.group(1))
        return str(value) if value is not None else match.group(0)

    return _VARIABLE.sub(fill, template)


def _tools(llm: dict[str, AnyValue]) -> list[ToolSpec]:
    specs: dict[str, ToolSpec] = {}
    tools = [*objs(llm.get("general_tools"))]
    for state in objs(llm.get("states")):
        tools.extend(objs(state.get("tools")))
    for tool in tools:
        name = text(tool.get("name"))
        if name is not None and name not in specs:
            specs[name] = ToolSpec(
                name=name,
                description=text(tool.get("description")),
                parameters=to_json_value(tool.get("parameters")),
            )
    return list(specs.values())


def _voice_provider(voice_id: str | None) -> str | None:
    # Retell voice ids name their provider first: `11labs-Adrian`, `openai-Alloy`.
    if voice_id is None or "-" not in voice_id:
        return None
    return voice_id.split("-", 1)[0]


def _snapshot(
    call: dict[str, AnyValue],
    events: Sequence[Event],
    agent: dict[str, AnyValue] | None,
    llm: dict[str, AnyValue] | None,
) -> VoiceSnapshot:
    agent = agent or {}
    # A dashboard export nests the LLM in the agent (`retellLlmData`).
    llm = llm or obj(agent.get("retellLlmData")) or obj(call.get("retell_llm"))
    variables = obj(call.get("retell_llm_dynamic_variables"))
    engine = obj(agent.get("response_engine"))
    stt = obj(agent.get("custom_stt_config"))
    endpointing = {k: to_json_value(agent[k]) for k in _ENDPOINTING_KEYS if k in agent}
    if "endpointing_ms" in stt:
        endpointing["custom_stt_config.endpointing_ms"] = to_json_value(stt["endpointing_ms"])
    if "begin_after_user_silence_ms" in llm:
        endpointing["begin_after_user_silence_ms"] = to_json_value(
            llm["begin_after_user_silence_ms"]
        )
    version = first(call.get("agent_version"), agent.get("version"))
    voice_id = text(agent.get("voice_id"))
    raw: dict[str, AnyValue] = {}
    if agent:
        raw["agent"] = agent
    if llm:
        raw["retell_llm"] = llm
    return VoiceSnapshot(
        platform="retell",
        agent_id=text(first(call.get("agent_id"), agent.get("agent_id"))),
        agent_name=text(first(call.get("agent_name"), agent.get("agent_name"))),
        agent_version=str(version) if version is not None else None,
        system_prompt=_render(text(llm.get("general_prompt")), variables),
        first_message=_render(text(llm.get("begin_message")), variables),
        first_speaker=speaker(text(llm.get("start_speaker"))) or first_speaker_of(list(events)),
        llm_provider=text(engine.get("type")),
        llm_model=text(llm.get("model")),
        temperature=number(llm.get("model_temperature")),
        voice_provider=_voice_provider(voice_id),
        voice_id=voice_id,
        transcriber_provider=text(stt.get("provider")),
        transcriber_model=text(first(agent.get("stt_mode"))),
        language=text(agent.get("language")),
        tools=_tools(llm),
        endpointing=endpointing,
        source="file.agent" if agent or llm else "call",
        variables={k: to_json_value(v) for k, v in variables.items()},
        raw=to_json_value(raw) if raw else None,
    )
