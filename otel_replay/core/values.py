"""The one conversion of telemetry values to JSON.

OTLP `bytes_value`s become standard base64 text (RFC 4648, with padding), the encoding
OTLP/JSON itself uses for bytes; every other value is already JSON. Scenarios, reports,
`--json` output and graph files all go through `to_json_value`.
"""

from __future__ import annotations

import base64
import json

from pydantic import JsonValue

from otel_replay.core.records import AnyValue


def to_json_value(value: AnyValue) -> JsonValue:
    """Telemetry values as JSON: bytes become base64 text, everything else as is."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    return value


def to_json_text(value: AnyValue) -> str:
    """A telemetry value as compact JSON text (keys sorted), bytes as base64 as above."""
    return json.dumps(to_json_value(value), sort_keys=True, ensure_ascii=False)
