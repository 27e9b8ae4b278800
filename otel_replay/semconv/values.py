"""Pure helpers that read attribute values leniently: wrong types give None, never raise."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import cast

from otel_replay.core.records import AnyValue, Attributes
from otel_replay.semconv.model import FinishReason, Role


def as_str(value: AnyValue) -> str | None:
    """A non-empty string; ints become their decimal text (ids are sometimes ints)."""
    if value is None:  # most keys asked for are absent: the quick answer first
        return None
    if isinstance(value, str):
        # Blank is empty or all whitespace: `isspace` stops at the first other character,
        # where `strip` would copy the text.
        return value if value and not value.isspace() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def as_int(value: AnyValue) -> int | None:
    """An int, accepting int64-as-string (OTLP JSON) and integral floats."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def as_float(value: AnyValue) -> float | None:
    """A finite number, accepting numbers sent as strings; bools are not numbers."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def as_bool(value: AnyValue) -> bool | None:
    """A bool, accepting the strings `true`/`false`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_id(value: AnyValue) -> str | None:
    """A call id. Microsoft Agent Framework sends `[run_id, call_id]` pairs (also as JSON
    text); the last element is the tool call id."""
    if isinstance(value, list):
        ids = [text for text in (as_str(v) for v in value) if text]
        return ids[-1] if ids else None
    text = as_str(value)
    if text is not None and text.startswith("["):
        listed = json_list(text)
        if listed is not None:
            return as_id(listed)
    return text


def first_id(attributes: Mapping[str, AnyValue], *keys: str) -> str | None:
    """The first key that holds a call id (see `as_id`)."""
    for key in keys:
        found = as_id(attributes.get(key))
        if found is not None:
            return found
    return None


def first_str(attributes: Mapping[str, AnyValue], *keys: str) -> str | None:
    """The first key that holds a non-empty string (or int id)."""
    for key in keys:
        text = as_str(attributes.get(key))
        if text is not None:
            return text
    return None


def first_int(attributes: Mapping[str, AnyValue], *keys: str) -> int | None:
    """The first key that holds an int (see `as_int`)."""
    for key in keys:
        number = as_int(attributes.get(key))
        if number is not None:
            return number
    return None


def parse_json(value: AnyValue) -> AnyValue:
    """Parse JSON text; anything else, and text that is not JSON, is returned unchanged."""
    if not isinstance(value, str):
        return value
    try:
        return cast(AnyValue, json.loads(value))
    except ValueError:
        return value


def json_container(value: AnyValue) -> dict[str, AnyValue] | list[AnyValue] | None:
    """A dict or list, either given structured or as JSON text; else None."""
    if isinstance(value, str):
        # Only text that starts (after whitespace) with a bracket may be a container; the
        # first character decides without copying the text as `lstrip` would.
        first = value[:1]
        if first.isspace():
            first = value.lstrip()[:1]
        if first not in ("[", "{"):
            return None
        value = parse_json(value)
    if isinstance(value, dict | list):
        return value
    return None


def json_object(value: AnyValue) -> dict[str, AnyValue] | None:
    """A dict, given structured or as JSON text; else None."""
    parsed = json_container(value)
    return parsed if isinstance(parsed, dict) else None


def json_list(value: AnyValue) -> list[AnyValue] | None:
    """A list, given structured or as JSON text; else None."""
    parsed = json_container(value)
    return parsed if isinstance(parsed, list) else None


def dicts(items: Iterable[AnyValue]) -> list[dict[str, AnyValue]]:
    """The dict items of a sequence, skipping anything else."""
    return [item for item in items if isinstance(item, dict)]


def unflatten(attributes: Attributes, prefix: str) -> list[AnyValue] | None:
    """Rebuild `prefix.0.a.b`-style keys into a list of nested dicts (sorted by index).

    Missing indices are skipped (the rest keep their order); None when no key matches
    or the first level is not indexed.
    """
    start = prefix + "."
    tree: dict[str, AnyValue] = {}
    for key, value in attributes.items():
        if not key.startswith(start):
            continue
        node = tree
        segments = key[len(start) :].split(".")
        for segment in segments[:-1]:
            child = node.get(segment)
            if not isinstance(child, dict):
                child = {}
                node[segment] = child
            node = child
        node[segments[-1]] = value
    if not tree or not all(k.isdigit() for k in tree):
        return None
    listed = _lists_from_indexed(tree)
    return listed if isinstance(listed, list) else None


def _lists_from_indexed(node: AnyValue) -> AnyValue:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists_from_indexed(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


_FINISH_ALIASES: dict[str, FinishReason] = {
    "stop": FinishReason.STOP,
    "end_turn": FinishReason.STOP,
    "end": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "complete": FinishReason.STOP,
    "completed": FinishReason.STOP,
    "finish_reason_stop": FinishReason.STOP,
    "tool_call": FinishReason.TOOL_CALL,
    "tool_calls": FinishReason.TOOL_CALL,
    "tool-calls": FinishReason.TOOL_CALL,
    "tool_use": FinishReason.TOOL_CALL,
    "function_call": FinishReason.TOOL_CALL,
    "length": FinishReason.LENGTH,
    "max_tokens": FinishReason.LENGTH,
    "max_output_tokens": FinishReason.LENGTH,
    "model_length": FinishReason.LENGTH,
    "content_filter": FinishReason.CONTENT_FILTER,
    "content-filter": FinishReason.CONTENT_FILTER,
    "safety": FinishReason.CONTENT_FILTER,
    "recitation": FinishReason.CONTENT_FILTER,
    "blocklist": FinishReason.CONTENT_FILTER,
    "prohibited_content": FinishReason.CONTENT_FILTER,
    "spii": FinishReason.CONTENT_FILTER,
    "refusal": FinishReason.CONTENT_FILTER,
    "error": FinishReason.ERROR,
    "malformed_function_call": FinishReason.ERROR,
}


def normalise_finish(raw: str | None) -> FinishReason | None:
    """Map a producer's finish reason (OpenAI, Anthropic, Gemini, AI SDK...) to our set."""
    if raw is None or not raw.strip():
        return None
    return _FINISH_ALIASES.get(raw.strip().lower(), FinishReason.OTHER)


def first_finish_reason(value: AnyValue) -> str | None:
    """The first reason of `gen_ai.response.finish_reasons` (array, JSON or comma-joined)."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item.strip():
                return item
        return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value
    listed = json_list(text)
    if listed is not None:
        return first_finish_reason(listed)
    # LangSmith joins the reasons with commas.
    return text.split(",")[0].strip() or None


_ROLE_ALIASES: dict[str, Role] = {
    "system": Role.SYSTEM,
    "developer": Role.SYSTEM,
    "user": Role.USER,
    "human": Role.USER,
    "assistant": Role.ASSISTANT,
    "model": Role.ASSISTANT,
    "ai": Role.ASSISTANT,
    "bot": Role.ASSISTANT,
    "tool": Role.TOOL,
    "function": Role.TOOL,
    "ipython": Role.TOOL,
}


def normalise_role(raw: AnyValue) -> Role:
    """Map a producer's role name to `Role`; unknown names are OTHER."""
    text = as_str(raw)
    if text is None:
        return Role.OTHER
    return _ROLE_ALIASES.get(text.strip().lower(), Role.OTHER)


# Producer spellings of a provider, mapped to OTel `gen_ai.provider.name` values.
_PROVIDER_ALIASES: dict[str, str] = {
    "mistralai": "mistral_ai",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "vertexai": "gcp.vertex_ai",
    "vertex_ai": "gcp.vertex_ai",
    "google.vertex": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "google": "gcp.gen_ai",
    "google.generative-ai": "gcp.gemini",
    "az.ai.inference": "azure.ai.inference",
    "az.ai.openai": "azure.ai.openai",
    "azure": "azure.ai.openai",
    "azure-openai": "azure.ai.openai",
    "bedrock": "aws.bedrock",
    "amazon-bedrock": "aws.bedrock",
    "aws": "aws.bedrock",
    "watsonx": "ibm.watsonx.ai",
}

# AI SDK provider ids are `<provider>.<api>` (`openai.chat`, `anthropic.messages`).
_AI_SDK_APIS = ("chat", "responses", "completion", "messages", "embedding", "image")


def normalise_provider(raw: str | None) -> str | None:
    """Map a producer's provider id to the OTel `gen_ai.provider.name` value."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip().lower()
    if text in _PROVIDER_ALIASES:
        return _PROVIDER_ALIASES[text]
    head, _, tail = text.rpartition(".")
    if head and tail in _AI_SDK_APIS:
        return _PROVIDER_ALIASES.get(head, head)
    return text


def text_of(value: AnyValue) -> str | None:
    """A readable text for a payload: strings as they are, anything else as compact JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
