"""What differs between one original span and the replay span matched to it."""

from __future__ import annotations

import json
import math
from collections.abc import Hashable
from enum import Enum
from functools import lru_cache

from otel_replay.core.records import AnyValue, Attributes, Span
from otel_replay.diff.span_tree_model import AttributeChange, Delta
from otel_replay.semconv.attributes import (
    CrewAI,
    GenAI,
    General,
    Langfuse,
    LiveKit,
    OpenInference,
    OpenLLMetry,
    Pipecat,
    PydanticAI,
    TraceAI,
    Vercel,
)
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS, REPLAY_ATTRIBUTE_PREFIX

# Attributes that differ on every run by construction: ids, timestamps, latencies, the
# session a replay runs in, and the replayer's own run attributes.
IGNORED_ATTRIBUTE_KEYS: frozenset[str] = frozenset(
    {
        *DEFAULT_SESSION_KEYS,
        GenAI.RESPONSE_ID,
        GenAI.TOOL_CALL_ID,
        GenAI.RESPONSE_TIME_TO_FIRST_CHUNK,
        GenAI.EXECUTE_TOOL_DURATION,
        OpenInference.TOOL_ID,
        OpenInference.TOOL_CALL_ID,
        Vercel.RESPONSE_ID,
        Vercel.TOOL_CALL_ID,
        Vercel.RESPONSE_TIMESTAMP,
        Vercel.MS_TO_FIRST_CHUNK,
        Vercel.MS_TO_FINISH,
        Vercel.AVG_OUTPUT_TOKENS_PER_SECOND,
        Vercel.AVG_COMPLETION_TOKENS_PER_SECOND,
        LiveKit.GENERATION_ID,
        LiveKit.PARENT_GENERATION_ID,
        LiveKit.PROVIDER_REQUEST_IDS,
        LiveKit.FUNCTION_TOOL_ID,
        CrewAI.EXECUTION_UUID,
        Pipecat.METRICS_TTFB,
        General.THREAD_ID,
        General.PROCESS_PID,
    }
)
IGNORED_ATTRIBUTE_PREFIXES: tuple[str, ...] = (REPLAY_ATTRIBUTE_PREFIX,)

# Token counts are reported as deltas, not as attribute changes.
USAGE_ATTRIBUTE_PREFIXES: tuple[str, ...] = (
    GenAI.USAGE_PREFIX,
    PydanticAI.AGGREGATED_USAGE_PREFIX,
    OpenInference.TOKEN_COUNT_PREFIX,
    OpenLLMetry.USAGE_PREFIX,
    Vercel.USAGE_PREFIX,
)
INPUT_TOKEN_KEYS: tuple[str, ...] = (
    GenAI.USAGE_INPUT_TOKENS,
    OpenInference.TOKEN_PROMPT,
    GenAI.USAGE_PROMPT_TOKENS,
    Vercel.USAGE_PROMPT_TOKENS,
)
OUTPUT_TOKEN_KEYS: tuple[str, ...] = (
    GenAI.USAGE_OUTPUT_TOKENS,
    OpenInference.TOKEN_COMPLETION,
    GenAI.USAGE_COMPLETION_TOKENS,
    Vercel.USAGE_COMPLETION_TOKENS,
)

# What a span produced: model replies, tool results, return values.
OUTPUT_ATTRIBUTE_KEYS: frozenset[str] = frozenset(
    {
        GenAI.OUTPUT_MESSAGES,
        GenAI.TOOL_CALL_RESULT,
        GenAI.COMPLETION,
        OpenInference.OUTPUT_VALUE,
        TraceAI.RAW_OUTPUT,
        OpenLLMetry.ENTITY_OUTPUT,
        Vercel.RESPONSE_TEXT,
        Vercel.RESPONSE_TOOL_CALLS,
        Vercel.RESPONSE_OBJECT,
        Vercel.RESULT_TEXT,
        Vercel.RESULT_TOOL_CALLS,
        Vercel.RESULT_OBJECT,
        Langfuse.OBSERVATION_OUTPUT,
        LiveKit.FUNCTION_TOOL_OUTPUT,
        LiveKit.RESPONSE_TEXT,
        LiveKit.RESPONSE_FUNCTION_CALLS,
        PydanticAI.TOOL_RESPONSE,
        PydanticAI.FINAL_RESULT,
    }
)
# Flattened outputs: `<key>.<index>...`.
OUTPUT_ATTRIBUTE_PREFIXES: tuple[str, ...] = tuple(
    f"{key}."
    for key in (
        GenAI.OUTPUT_MESSAGES,
        GenAI.COMPLETION,
        OpenInference.OUTPUT_MESSAGES,
        OpenInference.CHOICES,
    )
)

# Span fields compared alongside attributes, under keys no convention uses.
SPAN_NAME_KEY = "span.name"
SPAN_KIND_KEY = "span.kind"
SPAN_STATUS_CODE_KEY = "span.status_code"
SPAN_STATUS_MESSAGE_KEY = "span.status_message"
SPAN_EXCEPTIONS_KEY = "span.exceptions"


class _KeyRole(Enum):
    IGNORED = 0
    OUTPUT = 1
    ATTRIBUTE = 2


@lru_cache(maxsize=8192)
def _classify_key(key: str) -> _KeyRole:
    if key in IGNORED_ATTRIBUTE_KEYS or key.startswith(
        IGNORED_ATTRIBUTE_PREFIXES + USAGE_ATTRIBUTE_PREFIXES
    ):
        return _KeyRole.IGNORED
    if key in OUTPUT_ATTRIBUTE_KEYS or key.startswith(OUTPUT_ATTRIBUTE_PREFIXES):
        return _KeyRole.OUTPUT
    return _KeyRole.ATTRIBUTE


def compare_span_content(
    original: Span, replay: Span
) -> tuple[tuple[AttributeChange, ...], tuple[AttributeChange, ...]]:
    """(attribute changes, output changes) from `original` to `replay`, sorted by key.

    Attribute changes start with the span's own fields (name, kind, status, exception
    events), then attributes by key; ignored and token-count attributes are left out. An
    absent attribute equals one with an empty value (None); 1, 1.0 and True all differ.
    """
    fields: list[AttributeChange] = []
    if original.name != replay.name:
        fields.append(AttributeChange(SPAN_NAME_KEY, original.name, replay.name))
    if original.kind != replay.kind:
        fields.append(AttributeChange(SPAN_KIND_KEY, str(original.kind), str(replay.kind)))
    if original.status_code != replay.status_code:
        fields.append(
            AttributeChange(
                SPAN_STATUS_CODE_KEY, str(original.status_code), str(replay.status_code)
            )
        )
    if original.status_message != replay.status_message:
        fields.append(
            AttributeChange(SPAN_STATUS_MESSAGE_KEY, original.status_message, replay.status_message)
        )
    if original.events or replay.events:
        before_exceptions = _read_exceptions(original)
        after_exceptions = _read_exceptions(replay)
        if not _is_same_value(before_exceptions, after_exceptions):
            fields.append(AttributeChange(SPAN_EXCEPTIONS_KEY, before_exceptions, after_exceptions))

    # Most values are equal: compare first, classify only what differs.
    differing: list[AttributeChange] = []
    before_attributes, after_attributes = original.attributes, replay.attributes
    for key, before in before_attributes.items():
        after = after_attributes.get(key)
        if not _is_same_value(before, after):
            differing.append(AttributeChange(key, before, after))
    for key, after in after_attributes.items():
        if key not in before_attributes and after is not None:
            differing.append(AttributeChange(key, None, after))
    if not differing:
        return tuple(fields), ()
    attributes: list[AttributeChange] = []
    outputs: list[AttributeChange] = []
    for change in sorted(differing, key=lambda change: change.key):
        role = _classify_key(change.key)
        if role is _KeyRole.ATTRIBUTE:
            attributes.append(change)
        elif role is _KeyRole.OUTPUT:
            outputs.append(change)
    return (*fields, *attributes), tuple(outputs)


def hash_span_content(span: Span) -> int:
    """Equal for two spans between which `compare_span_content` finds no attribute changes
    (outputs are left out); unequal, barring hash collisions, when it finds some."""
    compared = frozenset(
        (key, _freeze_value(value))
        for key, value in span.attributes.items()
        if value is not None and _classify_key(key) is _KeyRole.ATTRIBUTE
    )
    return hash(
        (
            span.name,
            span.kind,
            span.status_code,
            span.status_message,
            _freeze_value(_read_exceptions(span)),
            compared,
        )
    )


def measure_duration(original: Span, replay: Span) -> Delta:
    return Delta(original.duration_unix_nano, replay.duration_unix_nano)


def measure_tokens(original: Span, replay: Span) -> tuple[Delta | None, Delta | None]:
    """(input token delta, output token delta); each None unless both spans report it."""
    return (
        _pair_counts(original.attributes, replay.attributes, INPUT_TOKEN_KEYS),
        _pair_counts(original.attributes, replay.attributes, OUTPUT_TOKEN_KEYS),
    )


def _pair_counts(before: Attributes, after: Attributes, keys: tuple[str, ...]) -> Delta | None:
    count_before = _read_count(before, keys)
    count_after = _read_count(after, keys)
    if count_before is None or count_after is None:
        return None
    return Delta(count_before, count_after)


def _read_count(attributes: Attributes, keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        # OTLP/JSON writes int64 values as strings.
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def _read_exceptions(span: Span) -> AnyValue:
    found: list[AnyValue] = [
        {
            "exception.type": event.attributes.get("exception.type"),
            "exception.message": event.attributes.get("exception.message"),
        }
        for event in span.events
        if event.name == "exception"
    ]
    return found or None


def _freeze_value(value: AnyValue) -> Hashable:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ("list", *(_freeze_value(item) for item in value))
    if isinstance(value, dict):
        return ("dict", *sorted((key, _freeze_value(item)) for key, item in value.items()))
    return (type(value).__name__, value)


def _parsed_json(value: AnyValue) -> AnyValue:
    """A JSON object or array given as text, parsed; anything else as it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            parsed: AnyValue = json.loads(value)
        except (ValueError, RecursionError):
            return value
        return parsed
    return value


def _is_same_value(before: AnyValue, after: AnyValue) -> bool:
    if before is after:
        return True
    if type(before) is not type(after):
        # GenAI content may be JSON text on one side and a structured AnyValue on the other
        # (the spec allows both): the same content either way.
        if isinstance(before, str) != isinstance(after, str):
            before, after = _parsed_json(before), _parsed_json(after)
            if isinstance(before, str) or isinstance(after, str):
                return False
            return _is_same_value(before, after)
        return False
    if isinstance(before, str):
        return before == after
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(
            _is_same_value(x, y) for x, y in zip(before, after, strict=True)
        )
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(
            _is_same_value(value, after[key]) for key, value in before.items()
        )
    if isinstance(before, float) and isinstance(after, float):
        return before == after or (math.isnan(before) and math.isnan(after))
    return before == after
