"""The conversation a capture must rebuild to, from what really happened: the requests the
stack sent the scripted model and the completions it got back (FakeOpenAIServer's
exchanges), read alongside the captured telemetry only to tell which fields the stack's
convention records at all (a field it never writes is expected as null, as in
tests/fixtures/semconv/expected.json).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from child.conversation import USER_TURNS

from otel_replay.testing import Exchange, message_text

FINISHES = {"tool_calls": "tool_call", "stop": "stop", "length": "length"}
# Keys a tool execution span carries the model's call id in (docs/semconv.md section 10.6).
CALL_ID_KEYS = frozenset(
    {"gen_ai.tool.call.id", "tool.id", "tool_call.id", "ai.toolCall.id", "lk.function_tool.id"}
)
FIRST_TOKEN_EVENT = "First Token Stream Event"  # OpenInference's span event
STRANDS_FIRST_TOKEN = "gen_ai.server.time_to_first_token"  # Strands Agents, milliseconds
SECONDS_TO_FIRST_CHUNK = (
    "gen_ai.response.time_to_first_chunk",  # OTel GenAI (util-genai)
    "gen_ai.client.operation.time_to_first_chunk",  # pydantic-ai, named after the metric
)


def _any_value(value: dict[str, Any]) -> Any:
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return value["doubleValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "arrayValue" in value:
        return [_any_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return {kv["key"]: _any_value(kv["value"]) for kv in value["kvlistValue"].get("values", [])}
    return None


def _spans(traces: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for resource_spans in traces.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            yield from scope_spans.get("spans", [])


def _attributes(item: dict[str, Any]) -> dict[str, Any]:
    return {kv["key"]: _any_value(kv.get("value", {})) for kv in item.get("attributes", [])}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _recorded_strings(
    traces: dict[str, Any], logs: dict[str, Any], *, in_json: bool = False
) -> set[str]:
    """Every string the telemetry holds as a value of its own: attributes, span event
    attributes, log attributes and bodies; with `in_json`, also the strings inside JSON
    text (OpenInference's `llm.invocation_parameters` holds the requested model so)."""
    found: set[str] = set()

    def add(value: Any) -> None:
        for text in _strings(value):
            found.add(text)
            if in_json and text[:1] in "[{":
                with contextlib.suppress(ValueError):
                    add(json.loads(text))

    for span in _spans(traces):
        add(_attributes(span))
        for event in span.get("events", []):
            add(_attributes(event))
    for resource_logs in logs.get("resourceLogs", []):
        for scope_logs in resource_logs.get("scopeLogs", []):
            for record in scope_logs.get("logRecords", []):
                add(_attributes(record))
                add(_any_value(record.get("body", {})))
    return found


def _keys(value: Any) -> Iterator[str]:
    """Every mapping key in `value`, also inside JSON text."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _records_finish_reasons(traces: dict[str, Any], logs: dict[str, Any]) -> bool:
    """Whether the telemetry holds finish reasons anywhere: an attribute, a key of a log body
    or of a JSON message list (`finish_reason`, `finishReason`, `finish_reasons`...)."""
    keys: set[str] = set()
    for span in _spans(traces):
        for item in (span, *span.get("events", [])):
            attributes = _attributes(item)
            keys.update(attributes)
            keys.update(_keys(attributes))
    for resource_logs in logs.get("resourceLogs", []):
        for scope_logs in resource_logs.get("scopeLogs", []):
            for record in scope_logs.get("logRecords", []):
                keys.update(_keys(_attributes(record)))
                keys.update(_keys(_any_value(record.get("body", {}))))
    return any("finish" in key.lower() for key in keys)


def _stated_models(traces: dict[str, Any], key: str) -> set[str]:
    return {
        value for span in _spans(traces) if isinstance(value := _attributes(span).get(key), str)
    }


def _expected_model(model: str | None, recorded: set[str], stated: set[str]) -> str | None:
    """The model the exchange shows when the telemetry holds it; else what the dedicated
    attribute (`gen_ai.request.model`, `gen_ai.response.model`) states when it states one
    thing: a producer that writes the configured model as the response model (CrewAI) or
    the LiteLLM name `openai/<model>` as the request model (Google ADK) is believed, as
    nothing better is recorded; else None (OpenInference's `llm.model_name` is not a
    dedicated key)."""
    if model is not None and model in recorded:
        return model
    return next(iter(stated)) if len(stated) == 1 else None


def _tool_span_call_ids(traces: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    for span in _spans(traces):
        for key, value in _attributes(span).items():
            if key in CALL_ID_KEYS and isinstance(value, str):
                ids.add(value)
    return ids


def first_token_times(traces: dict[str, Any]) -> list[int]:
    """Time to first token of every span that records one, in span start order: the GenAI
    `gen_ai.response.time_to_first_chunk` or pydantic-ai's
    `gen_ai.client.operation.time_to_first_chunk` (seconds), the Vercel
    `ai.response.msToFirstChunk`,
    Strands' `gen_ai.server.time_to_first_token` (milliseconds), or OpenInference's
    first-token span event (its time less the span's start)."""
    found: list[tuple[int, int]] = []
    for span in _spans(traces):
        start = int(span["startTimeUnixNano"])
        attributes = _attributes(span)
        value: int | None = None
        seconds = next(
            (
                attributes[key]
                for key in SECONDS_TO_FIRST_CHUNK
                if isinstance(attributes.get(key), int | float)
            ),
            None,
        )
        if seconds is not None:
            value = round(seconds * 1e9)
        elif isinstance(attributes.get("ai.response.msToFirstChunk"), int | float):
            value = round(attributes["ai.response.msToFirstChunk"] * 1e6)
        elif isinstance(attributes.get(STRANDS_FIRST_TOKEN), int | float):
            value = round(attributes[STRANDS_FIRST_TOKEN] * 1e6)
        else:
            for event in span.get("events", []):
                if event.get("name") == FIRST_TOKEN_EVENT:
                    value = int(event["timeUnixNano"]) - start
                    break
        if value is not None:
            found.append((start, value))
    return [value for _, value in sorted(found)]


def _turn_of(body: dict[str, Any]) -> int:
    # The last user message holds the turn's text (frameworks such as CrewAI wrap it in a
    # prompt of their own).
    users = [message_text(m) for m in body["messages"] if m.get("role") == "user"]
    return next(i for i, text in reversed(list(enumerate(USER_TURNS))) if text in users[-1])


def _tool_result(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _linked_by(call_id: str, linked_ids: set[str], tool_spans: bool) -> str:
    if not tool_spans:
        return "request_only"
    return "call_id" if call_id in linked_ids else "name_order"


def build_expected(
    exchanges: Sequence[Exchange],
    traces: dict[str, Any],
    logs: dict[str, Any],
    *,
    session_id: str,
    trace_count: int,
    streamed: bool,
    tool_spans: bool,
    notes: str = "",
) -> dict[str, Any]:
    """expected.json for one capture (see capture/README.md for the format)."""
    recorded = _recorded_strings(traces, logs)
    recorded_deep = _recorded_strings(traces, logs, in_json=True)
    finishes = _records_finish_reasons(traces, logs)
    stated_requests = _stated_models(traces, "gen_ai.request.model")
    stated_responses = _stated_models(traces, "gen_ai.response.model")
    linked_ids = _tool_span_call_ids(traces)
    ttfts = first_token_times(traces) if streamed else []
    answered = [e for e in exchanges if e.completion is not None]
    if ttfts and len(ttfts) != len(answered):
        raise RuntimeError(f"{len(ttfts)} first-token times for {len(answered)} model calls")
    results: dict[str, Any] = {}
    for exchange in answered:
        for message in exchange.body["messages"]:
            if message.get("role") == "tool":
                results[message["tool_call_id"]] = _tool_result(message_text(message))
    turns: list[dict[str, Any]] = [
        {"user": text, "assistant": None, "llm_calls": [], "tool_calls": []} for text in USER_TURNS
    ]
    for number, exchange in enumerate(answered):
        completion = exchange.completion
        assert completion is not None
        turn = turns[_turn_of(exchange.body)]
        choice = completion["choices"][0]
        response_id = completion["id"]
        body = exchange.body
        # A stream carries usage only when the client asked for it (include_usage).
        usage_sent = not body.get("stream") or bool(
            (body.get("stream_options") or {}).get("include_usage")
        )
        turn["llm_calls"].append(
            {
                "request_model": _expected_model(body.get("model"), recorded_deep, stated_requests),
                "response_model": _expected_model(completion["model"], recorded, stated_responses),
                "input_tokens": completion["usage"]["prompt_tokens"] if usage_sent else None,
                "output_tokens": completion["usage"]["completion_tokens"] if usage_sent else None,
                "finish": FINISHES[choice["finish_reason"]] if finishes else None,
                "response_id": response_id if response_id in recorded else None,
                "time_to_first_token_unix_nano": ttfts[number] if ttfts else None,
            }
        )
        for call in choice["message"].get("tool_calls", []):
            turn["tool_calls"].append(
                {
                    "name": call["function"]["name"],
                    "call_id": call["id"],
                    "arguments": json.loads(call["function"]["arguments"]),
                    "result": results.get(call["id"]),
                    "linked_by": _linked_by(call["id"], linked_ids, tool_spans),
                }
            )
        if choice["message"].get("content"):
            turn["assistant"] = choice["message"]["content"]
    return {
        "session_id": session_id,
        "user_id": None,
        "traces": trace_count,
        "turns": turns,
        "notes": notes,
    }
