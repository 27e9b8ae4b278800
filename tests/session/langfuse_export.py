"""Turn a Langfuse trace export (trace + observations) back into span records.

Langfuse keeps the OTel attributes of each observation in `metadata.attributes`, with
JSON-looking strings parsed; they are serialised back to JSON text here, as producers
sent them. Langfuse lifts message content out of the attributes into the observation's
input/output; those come back in Langfuse's own convention (`langfuse.observation.*`).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from otel_replay.core.records import AnyValue, Resource, Scope, Span, StatusCode

_LANGFUSE_TYPES = {
    "GENERATION": "generation",
    "SPAN": "span",
    "AGENT": "agent",
    "TOOL": "tool",
    "CHAIN": "chain",
    "EVENT": "event",
    "EMBEDDING": "embedding",
    "RETRIEVER": "retriever",
    "EVALUATOR": "evaluator",
    "GUARDRAIL": "guardrail",
}


def _unix_nano(timestamp: str | None) -> int:
    if not timestamp:
        return 0
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1_000_000) * 1_000


def _hex_id(value: str | None) -> str:
    return (value or "").replace("-", "").lower()


def _attribute(value: Any) -> AnyValue:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    return str(value)


def _metadata(observation: dict[str, Any]) -> dict[str, Any]:
    metadata = observation.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    return metadata if isinstance(metadata, dict) else {}


def _langfuse_attributes(observation: dict[str, Any]) -> dict[str, AnyValue]:
    attributes: dict[str, AnyValue] = {}
    kind = _LANGFUSE_TYPES.get(str(observation.get("type")))
    if kind:
        attributes["langfuse.observation.type"] = kind
    for field, key in (
        ("input", "langfuse.observation.input"),
        ("output", "langfuse.observation.output"),
        ("modelParameters", "langfuse.observation.model.parameters"),
        ("usageDetails", "langfuse.observation.usage_details"),
    ):
        if observation.get(field) not in (None, {}, ""):
            attributes[key] = json.dumps(observation[field])
    if observation.get("model"):
        attributes["langfuse.observation.model.name"] = observation["model"]
    return attributes


def spans_from_langfuse_export(path: Path) -> list[Span]:
    """One span per observation of the exported trace."""
    document = json.loads(path.read_text())
    spans = []
    for observation in document["observations"]:
        metadata = _metadata(observation)
        raw = metadata.get("attributes")
        # Langfuse's own fields fill in what it lifted out of the attributes (messages
        # became input/output); the producer's attributes win on any shared key.
        attributes = _langfuse_attributes(observation)
        if isinstance(raw, dict):
            attributes.update({k: _attribute(v) for k, v in raw.items()})
        resource = metadata.get("resourceAttributes")
        scope = metadata.get("scope")
        failed = observation.get("level") == "ERROR"
        start = _unix_nano(observation.get("startTime"))
        spans.append(
            Span(
                trace_id=_hex_id(observation.get("traceId")),
                span_id=_hex_id(observation.get("id")),
                parent_span_id=_hex_id(observation.get("parentObservationId")),
                name=str(observation.get("name") or ""),
                start_time_unix_nano=start,
                end_time_unix_nano=_unix_nano(observation.get("endTime")) or start,
                attributes=attributes,
                status_code=StatusCode.ERROR if failed else StatusCode.UNSET,
                status_message=str(observation.get("statusMessage") or ""),
                resource=Resource(
                    {k: _attribute(v) for k, v in resource.items()}
                    if isinstance(resource, dict)
                    else {}
                ),
                scope=Scope(name=str(scope.get("name", "")))
                if isinstance(scope, dict)
                else Scope(),
            )
        )
    return spans
