"""Session and user ids of a trace (docs/semconv.md section 10.1-10.2).

Ids are resolved per trace, not per span: some spans (OTel `execute_tool`, AI SDK
`ai.toolCall`) never carry them, so any span of the trace that has a key speaks for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from otel_replay.core.records import Span
from otel_replay.semconv.attributes import (
    GenAI,
    Langfuse,
    LiveKit,
    OpenInference,
    OpenLLMetry,
    Pipecat,
    PydanticAI,
    Vercel,
)
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS, DEFAULT_USER_KEYS
from otel_replay.semconv.values import as_str

# After the general keys: the voice frameworks' participant ids.
USER_KEYS: tuple[str, ...] = (
    *DEFAULT_USER_KEYS,
    LiveKit.PARTICIPANT_IDENTITY,
    LiveKit.pii(LiveKit.PARTICIPANT_IDENTITY),
)


def _first_value(spans: Sequence[Span], keys: Iterable[str]) -> str | None:
    """The value of the best-ranked key on any span (earliest span on ties), then likewise
    on any resource. One pass over the spans' attributes, not one per key."""
    rank = {key: i for i, key in enumerate(keys)}
    for source in ("attributes", "resource"):
        best: tuple[int, str] | None = None
        for span in spans:
            attributes = span.attributes if source == "attributes" else span.resource.attributes
            for key, raw in attributes.items():
                position = rank.get(key)
                if position is None or (best is not None and position >= best[0]):
                    continue
                value = as_str(raw)
                if value is not None:
                    best = (position, value)
                    if position == 0:
                        return value
        if best is not None:
            return best[1]
    return None


def resolve_session_id(
    trace_spans: Sequence[Span], keys: Sequence[str] = DEFAULT_SESSION_KEYS
) -> str | None:
    """The first session key (in key order) on any span, then on any resource; else None."""
    return _first_value(trace_spans, keys)


def resolve_user_id(spans: Sequence[Span], keys: Sequence[str] = USER_KEYS) -> str | None:
    """The first user key on any span, then on any resource; Pipecat's STT `user_id` last."""
    found = _first_value(spans, keys)
    if found is not None:
        return found
    for span in spans:
        if span.name == Pipecat.SPAN_STT:
            value = as_str(span.attributes.get(Pipecat.USER_ID))
            if value is not None:
                return value
    return None


# Where each convention names the agent (or app) that answered, in order of preference.
_AGENT_NAME_KEYS: tuple[str, ...] = (
    GenAI.AGENT_NAME,
    OpenInference.AGENT_NAME,
    PydanticAI.AGENT_NAME,
    LiveKit.AGENT_NAME,
    OpenLLMetry.WORKFLOW_NAME,
    Vercel.FUNCTION_ID,
    Langfuse.TRACE_NAME,
)


def resolve_agent_name(spans: Sequence[Span]) -> str | None:
    """The agent's name from any span (then resource) of the conversation."""
    return _first_value(spans, _AGENT_NAME_KEYS)
