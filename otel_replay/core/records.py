"""Our own records of telemetry: what the rest of the package reads.

`otlp/` converts between these and the protobuf messages (`pb2_*`). Ids are lowercase
hex strings (empty when absent), times are integer unix nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# An OTLP AnyValue as Python data. kvlist becomes a dict, array a list, bytes stay bytes,
# an empty AnyValue is None.
AnyValue = None | str | bool | int | float | bytes | list["AnyValue"] | dict[str, "AnyValue"]
Attributes = dict[str, AnyValue]


class SpanKind(StrEnum):
    """OTLP span kind, by name."""

    UNSPECIFIED = "unspecified"
    INTERNAL = "internal"
    SERVER = "server"
    CLIENT = "client"
    PRODUCER = "producer"
    CONSUMER = "consumer"


class StatusCode(StrEnum):
    """OTLP span status code, by name."""

    UNSET = "unset"
    OK = "ok"
    ERROR = "error"


SPAN_KINDS: tuple[SpanKind, ...] = tuple(SpanKind)
STATUS_CODES: tuple[StatusCode, ...] = tuple(StatusCode)


@dataclass(frozen=True)
class Resource:
    attributes: Attributes = field(default_factory=dict)
    dropped_attributes_count: int = 0
    schema_url: str = ""

    @property
    def service_name(self) -> str:
        value = self.attributes.get("service.name")
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Scope:
    name: str = ""
    version: str = ""
    attributes: Attributes = field(default_factory=dict)
    dropped_attributes_count: int = 0
    schema_url: str = ""


@dataclass(frozen=True)
class SpanEvent:
    name: str
    time_unix_nano: int
    attributes: Attributes = field(default_factory=dict)
    dropped_attributes_count: int = 0


@dataclass(frozen=True)
class SpanLink:
    trace_id: str
    span_id: str
    trace_state: str = ""
    attributes: Attributes = field(default_factory=dict)
    dropped_attributes_count: int = 0
    flags: int = 0


@dataclass(frozen=True)
class Span:
    """One span with its resource and scope, as sent."""

    trace_id: str
    span_id: str
    name: str
    start_time_unix_nano: int
    end_time_unix_nano: int
    parent_span_id: str = ""
    trace_state: str = ""
    kind: SpanKind = SpanKind.UNSPECIFIED
    attributes: Attributes = field(default_factory=dict)
    dropped_attributes_count: int = 0
    events: tuple[SpanEvent, ...] = ()
    dropped_events_count: int = 0
    links: tuple[SpanLink, ...] = ()
    dropped_links_count: int = 0
    status_code: StatusCode = StatusCode.UNSET
    status_message: str = ""
    flags: int = 0
    resource: Resource = field(default_factory=Resource)
    scope: Scope = field(default_factory=Scope)

    @property
    def duration_unix_nano(self) -> int:
        return self.end_time_unix_nano - self.start_time_unix_nano


@dataclass(frozen=True)
class LogRecord:
    """One OTLP log record with its resource and scope; joined to spans by trace/span id."""

    time_unix_nano: int = 0
    observed_time_unix_nano: int = 0
    severity_number: int = 0
    severity_text: str = ""
    body: AnyValue = None
    attributes: Attributes = field(default_factory=dict)
    dropped_attributes_count: int = 0
    flags: int = 0
    trace_id: str = ""
    span_id: str = ""
    event_name: str = ""
    resource: Resource = field(default_factory=Resource)
    scope: Scope = field(default_factory=Scope)
