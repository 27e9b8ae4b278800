"""Matching keys for the span-tree diff: which spans count as "the same step".

A key is a tuple of strings ordered from coarse to fine. The diff aligns sibling spans on
equal keys; in a gap between aligned siblings it also pairs spans whose keys share a non-empty
first component, so with `default_key` a chat span whose model changed shows as changed
instead of removed plus added. A node's place in the tree is the path of keys from its root.
"""

from __future__ import annotations

from typing import Protocol

from otel_replay.core.records import Attributes, Span
from otel_replay.semconv.attributes import (
    GenAI,
    Langfuse,
    LangSmith,
    LiveKit,
    OpenInference,
    OpenLLMetry,
    TraceAI,
    Vercel,
)

SpanKey = tuple[str, ...]


class KeyFunction(Protocol):
    """Maps a span to its matching key (coarse component first)."""

    def __call__(self, span: Span, /) -> SpanKey: ...


# First non-empty wins. Span-kind keys of several conventions name the operation.
_OPERATION_KEYS = (
    GenAI.OPERATION_NAME,
    OpenInference.SPAN_KIND,
    TraceAI.SPAN_KIND,
    TraceAI.FI_SPAN_KIND,
    Langfuse.OBSERVATION_TYPE,
    OpenLLMetry.SPAN_KIND,
    OpenLLMetry.REQUEST_TYPE,
    Vercel.OPERATION_ID,
    LangSmith.SPAN_KIND,
)
_TOOL_KEYS = (GenAI.TOOL_NAME, OpenInference.TOOL_NAME, LiveKit.FUNCTION_TOOL_NAME)
_MODEL_KEYS = (
    GenAI.REQUEST_MODEL,
    OpenInference.REQUEST_MODEL_NAME,
    OpenInference.MODEL_NAME,
    Vercel.MODEL_ID,
    OpenInference.EMBEDDING_MODEL_NAME,
    Langfuse.MODEL_NAME,
    GenAI.RESPONSE_MODEL,
    OpenInference.RESPONSE_MODEL_NAME,
)


def _first_text(attributes: Attributes, keys: tuple[str, ...]) -> str:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def read_span_identity(attributes: Attributes) -> tuple[str, str]:
    """The (operation kind, tool or model name) that GenAI attributes give a span.

    Operation kinds are lowercased (OpenInference writes `LLM`, `TOOL`); either part is
    empty when no convention sets it.
    """
    operation = _first_text(attributes, _OPERATION_KEYS).lower()
    target = _first_text(attributes, _TOOL_KEYS) or _first_text(attributes, _MODEL_KEYS)
    return operation, target


def default_key(span: Span) -> SpanKey:
    """(operation kind, span name, tool or model name)."""
    operation, target = read_span_identity(span.attributes)
    return (operation, span.name, target)


def name_key(span: Span) -> SpanKey:
    """The span name alone: what a trace viewer shows."""
    return (span.name,)


def operation_key(span: Span) -> SpanKey:
    """(operation kind, tool name): ignores span names and models, so a model swap matches."""
    operation, _ = read_span_identity(span.attributes)
    tool = _first_text(span.attributes, _TOOL_KEYS)
    return (operation or span.name, tool)
