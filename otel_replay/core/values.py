"""The one conversion of telemetry values to JSON.

OTLP `bytes_value`s become standard base64 text (RFC 4648, with padding), the encoding
OTLP/JSON itself uses for bytes; every other value is already JSON. Scenarios, reports,
`--json` output and graph files all go through `to_json_value` (records and other
dataclasses through `to_json_data`, which uses it for their values).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from enum import Enum
from typing import TYPE_CHECKING

from otel_replay.core.records import AnyValue

if TYPE_CHECKING:  # pydantic is not imported at start-up (`otel-replay sessions`)
    from pydantic import JsonValue


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


def to_json_data(value: object) -> JsonValue:
    """Records (dataclasses), enums, tuples and telemetry values as JSON-ready data; bytes as
    base64 through `to_json_value`. A value with no JSON form is a TypeError."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [to_json_data(v) for v in value]
    if isinstance(value, bytes):
        return to_json_value(value)
    if isinstance(value, Enum):
        return to_json_data(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"no JSON form for {type(value).__name__}")
