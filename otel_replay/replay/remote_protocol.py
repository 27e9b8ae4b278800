"""Pure: the contract between a replay and an agent service in another process.

The replay runs a loopback endpoint (`remote.ReplayBridge`) and names it on every request to
the agent service (`X-Otel-Replay-Otlp-Endpoint`), or in the service's environment
(`OTEL_REPLAY_OTLP_ENDPOINT`). The service exports its spans there over OTLP/HTTP
(`/v1/traces`, `/v1/logs`), continuing the request's `traceparent`, and asks
`POST /v1/tools/call` for the recorded result of each tool call instead of running the tool.

Both sides read the tool-call messages from here: `ToolCallRequest` is what the service
sends, `ToolAnswer` what the replay answers (and the HTTP status it answers with).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from otel_replay.core.errors import BadInputError
from otel_replay.core.values import to_json_value

if TYPE_CHECKING:  # an agent service imports this module: keep it light
    from pydantic import JsonValue

# Sent on every request to an HTTP agent while a bridge runs: where the service sends its
# OTLP data and asks for tool results (`http://127.0.0.1:PORT`, no path).
ENDPOINT_HEADER = "X-Otel-Replay-Otlp-Endpoint"
# The tools of this replay that run for real (--live-tools), comma-separated; may be empty.
LIVE_TOOLS_HEADER = "X-Otel-Replay-Live-Tools"
# The same two, for a service that reads them from its environment instead.
ENDPOINT_ENV = "OTEL_REPLAY_OTLP_ENDPOINT"
LIVE_TOOLS_ENV = "OTEL_REPLAY_LIVE_TOOLS"

TRACES_PATH = "/v1/traces"
LOGS_PATH = "/v1/logs"
METRICS_PATH = "/v1/metrics"
TOOLS_CALL_PATH = "/v1/tools/call"


def format_live_tools(names: Iterable[str]) -> str:
    return ",".join(sorted(names))


def parse_live_tools(text: str | None) -> frozenset[str]:
    """The tool names of a `X-Otel-Replay-Live-Tools` value (or its env var)."""
    return frozenset(name.strip() for name in (text or "").split(",") if name.strip())


@dataclass(frozen=True)
class ToolCallRequest:
    """`POST /v1/tools/call`: one call of a tool, as the agent service makes it.

    `record_span`: the replay records the sealed tool span (`execute_tool NAME`, under the
    request's `traceparent`); false when the caller records one itself (`@otel_replay.tool`).
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    record_span: bool = True

    def to_json(self) -> bytes:
        doc: dict[str, Any] = {"name": self.name, "arguments": self.arguments}
        if not self.record_span:
            doc["record_span"] = False
        return json.dumps(doc, default=str, ensure_ascii=False).encode()


def parse_tool_call(body: bytes) -> ToolCallRequest:
    """The request body `{"name": ..., "arguments": {...}}`; BadInputError when malformed."""
    try:
        doc = json.loads(body or b"null")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadInputError(f"tool call: invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadInputError('tool call: send a JSON object {"name": ..., "arguments": {...}}')
    name = doc.get("name")
    arguments = doc.get("arguments", {})
    record_span = doc.get("record_span", True)
    if not isinstance(name, str) or not name:
        raise BadInputError('tool call: "name" must be a non-empty string')
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise BadInputError('tool call: "arguments" must be a JSON object')
    if not isinstance(record_span, bool):
        raise BadInputError('tool call: "record_span" must be true or false')
    return ToolCallRequest(name, arguments, record_span)


class ToolAnswerKind(StrEnum):
    """How the replay answered a tool call."""

    RESULT = "result"  # the recorded result
    ERROR = "error"  # the recorded call failed: raise its message
    LIVE = "live"  # the tool is live in this replay: run it for real
    UNMATCHED = "unmatched"  # no recorded call of this turn matches
    UNATTRIBUTED = "unattributed"  # no replay turn could be found for the call
    NO_REPLAY = "no_replay"  # no replay is running
    BAD_REQUEST = "bad_request"
    INTERNAL = "internal"  # the replay failed to answer


# The one table from answer to HTTP status. A call the recording cannot serve conflicts with
# the recorded session (409); the service must not run the tool instead.
TOOL_ANSWER_STATUS: dict[ToolAnswerKind, int] = {
    ToolAnswerKind.RESULT: 200,
    ToolAnswerKind.ERROR: 200,
    ToolAnswerKind.LIVE: 200,
    ToolAnswerKind.UNMATCHED: 409,
    ToolAnswerKind.UNATTRIBUTED: 409,
    ToolAnswerKind.NO_REPLAY: 404,
    ToolAnswerKind.BAD_REQUEST: 400,
    ToolAnswerKind.INTERNAL: 500,
}


@dataclass(frozen=True)
class RecordedRef:
    """Which recorded call answered: its call id and original span, for links."""

    call_id: str = ""
    trace_id: str = ""
    span_id: str = ""


@dataclass(frozen=True)
class ToolAnswer:
    """The answer to a tool call: the recorded result or error, `live`, or why the recording
    cannot serve it (`message`; for `unmatched`, the closest recorded calls)."""

    kind: ToolAnswerKind
    result: JsonValue = None
    message: str = ""
    recorded: RecordedRef | None = None
    closest: tuple[dict[str, JsonValue], ...] = ()

    @property
    def status(self) -> int:
        return TOOL_ANSWER_STATUS[self.kind]

    def to_json(self) -> bytes:
        doc: dict[str, JsonValue] = {}
        if self.kind is ToolAnswerKind.RESULT:
            doc["result"] = self.result
        elif self.kind is ToolAnswerKind.LIVE:
            doc["live"] = True
        else:
            doc["error"] = self.message
        if self.kind not in (ToolAnswerKind.RESULT, ToolAnswerKind.ERROR, ToolAnswerKind.LIVE):
            doc["reason"] = self.kind.value
        if self.recorded is not None:
            doc["recorded"] = {
                "call_id": self.recorded.call_id,
                "trace_id": self.recorded.trace_id,
                "span_id": self.recorded.span_id,
            }
        if self.closest:
            doc["closest"] = list(self.closest)
        return json.dumps(doc, ensure_ascii=False).encode()


def parse_tool_answer(status: int, body: bytes) -> ToolAnswer:
    """Read an answer of `/v1/tools/call`; BadInputError when it is none."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict):
        raise BadInputError(f"tool playback answered HTTP {status} without a JSON object")
    recorded = doc.get("recorded")
    ref = (
        RecordedRef(**{k: str(recorded.get(k) or "") for k in ("call_id", "trace_id", "span_id")})
        if isinstance(recorded, Mapping)
        else None
    )
    if status == 200 and doc.get("live") is True:
        return ToolAnswer(ToolAnswerKind.LIVE)
    if status == 200 and "result" in doc:
        return ToolAnswer(ToolAnswerKind.RESULT, to_json_value(doc["result"]), recorded=ref)
    message = str(doc.get("error", ""))
    if status == 200:
        return ToolAnswer(ToolAnswerKind.ERROR, message=message, recorded=ref)
    try:
        kind = ToolAnswerKind(str(doc.get("reason", "")))
    except ValueError:
        kind = ToolAnswerKind.BAD_REQUEST
    closest = doc.get("closest")
    near = tuple(c for c in closest if isinstance(c, dict)) if isinstance(closest, list) else ()
    return ToolAnswer(kind, message=message or f"HTTP {status}", closest=near)
