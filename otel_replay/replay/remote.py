"""The replay's loopback endpoint for agents in other processes and languages.

    with replay_bridge() as bridge:          # around the replays of an HTTP agent
        replay_scenario(scenario, http_agent(url), store, agent_label=url)

While a bridge runs, every request `http_agent` sends names it (`X-Otel-Replay-Otlp-Endpoint:
http://127.0.0.1:PORT`, see `remote_protocol`). On it:

- `POST /v1/traces` (OTLP/HTTP, protobuf or JSON): the service's spans. Those in a replay's
  trace (the service continues the request's `traceparent`) go to the replay's capture and
  are stored with the run; the run reads the service's LLM calls, tokens and tool calls
  from them as from in-process spans.
- `POST /v1/logs`: log records of a replay's trace are stored (when the bridge has a store);
  `POST /v1/metrics` is accepted and discarded.
- `POST /v1/tools/call`: a tool call, answered from the current turn's recording with the
  same matching as an in-process sealed tool (`tools.tool`). The replay records the sealed
  `execute_tool` span, so the run counts the call as recorded and the tripwire as sealed.

At the end of each conversation `http_agent` waits (bounded) until the service's entry span
under every turn has arrived, so that exporters that batch are not cut off.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message
from google.rpc import status_pb2
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.trace import Status, StatusCode
from pydantic import JsonValue

from otel_replay.core.errors import BadInputError, PayloadTooLargeError
from otel_replay.core.values import to_json_value
from otel_replay.otlp.decode import (
    DEFAULT_MAX_REQUEST_BYTES,
    Encoding,
    decode_content,
    decode_logs_request,
    decode_trace_request,
    encode_message,
    encoding_from_content_type,
)
from otel_replay.receiver.status import ANSWERS, ErrorKind, classify_error
from otel_replay.replay.capture import SpanCapture, ensure_capture
from otel_replay.replay.matchers import RecordedToolCall, ToolDivergence
from otel_replay.replay.remote_protocol import (
    ENDPOINT_ENV,
    ENDPOINT_HEADER,
    LIVE_TOOLS_ENV,
    LIVE_TOOLS_HEADER,
    LOGS_PATH,
    METRICS_PATH,
    TOOLS_CALL_PATH,
    TRACES_PATH,
    RecordedRef,
    ToolAnswer,
    ToolAnswerKind,
    ToolCallRequest,
    format_live_tools,
    parse_tool_call,
)
from otel_replay.replay.sealing import (
    UnattributedToolCallError,
    current_playback,
    resolve_playback,
)
from otel_replay.replay.tools import replay_link
from otel_replay.semconv.attributes import GenAI
from otel_replay.semconv.keys import (
    REPLAY_TOOL_DIVERGENCE,
    REPLAY_TOOL_SOURCE,
    REPLAY_TOOL_TRACER_NAME,
)
from otel_replay.standin.loopback import LoopbackServer, server_owner
from otel_replay.store.base import SpanStore
from otel_replay.store.rows import build_log_batch

if TYPE_CHECKING:
    from opentelemetry.context import Context

logger = logging.getLogger(__name__)

_JSON = "application/json"
_READ_CHUNK = 1 << 16
_RUNNING_LOCK = threading.Lock()
_RUNNING: list[ReplayBridge] = []


class ReplayBridge(LoopbackServer):
    """The loopback endpoint of the replays in this process (see the module docstring), from
    construction until `close()`; `replay_bridge()` also makes `http_agent` name it."""

    def __init__(self, *, port: int = 0, store: SpanStore | None = None) -> None:
        self.capture: SpanCapture = ensure_capture()
        self.store = store
        self.counters: Counter[str] = Counter()
        self._counter_lock = threading.Lock()
        super().__init__(_Handler, port, "otel-replay-bridge")

    @property
    def endpoint(self) -> str:
        """`http://127.0.0.1:PORT`: OTLP/HTTP base URL and tool-playback base URL."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment of an agent service started for this bridge (by hand or by a
        caller): it reads the endpoint from `OTEL_REPLAY_OTLP_ENDPOINT`."""
        return {ENDPOINT_ENV: self.endpoint}

    def request_headers(self) -> dict[str, str]:
        """The headers that name this bridge on a request to the agent, sent from inside a
        replay turn: the endpoint, and the turn's live tools."""
        playback = current_playback()
        live = playback.live_tools if playback is not None else frozenset()
        return {ENDPOINT_HEADER: self.endpoint, LIVE_TOOLS_HEADER: format_live_tools(live)}

    def wait_for_service_spans(
        self, turn_spans: Sequence[tuple[int, int]], timeout_seconds: float
    ) -> bool:
        """Wait until the agent service's entry span under each (trace id, turn span id) has
        arrived, `timeout_seconds` in all; whether they all did (a warning says when not)."""
        by_trace: dict[int, set[int]] = {}
        for trace_id, span_id in turn_spans:
            by_trace.setdefault(trace_id, set()).add(span_id)
        missing = [
            trace_id
            for trace_id, span_ids in by_trace.items()
            if not self.capture.wait_for_children(trace_id, span_ids, timeout_seconds)
        ]
        if missing:
            self.count("service_spans_missing", len(missing))
            logger.warning(
                "spans of the agent service did not arrive at %s within %g s for replay "
                "trace %s: point its OTLP exporter at the %s header (README: Agents in other "
                "languages); the run lacks what they would have shown",
                self.endpoint,
                timeout_seconds,
                ", ".join(f"{t:032x}" for t in missing),
                ENDPOINT_HEADER,
            )
        return not missing

    def count(self, name: str, amount: int = 1) -> None:
        with self._counter_lock:
            self.counters[name] += amount

    def consume_traces(self, body: bytes, encoding: Encoding) -> Message:
        request = decode_trace_request(body, encoding)
        dropped = self.capture.add_received(request)
        received = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        self.count("spans_received", received - dropped)
        response = trace_service_pb2.ExportTraceServiceResponse()
        if dropped:
            self.count("spans_dropped", dropped)
            response.partial_success.rejected_spans = dropped
            response.partial_success.error_message = (
                f"{dropped} spans belong to no running replay's trace (continue the "
                "traceparent the replay sent)"
            )
        return response

    def consume_logs(self, body: bytes, encoding: Encoding) -> Message:
        request = decode_logs_request(body, encoding)
        kept = logs_service_pb2.ExportLogsServiceRequest()
        dropped = 0
        for pb2_resource_logs in request.resource_logs:
            pb2_kept = kept.resource_logs.add(
                resource=pb2_resource_logs.resource, schema_url=pb2_resource_logs.schema_url
            )
            for pb2_scope_logs in pb2_resource_logs.scope_logs:
                records = [
                    r
                    for r in pb2_scope_logs.log_records
                    if r.trace_id and self.capture.is_capturing(int.from_bytes(r.trace_id, "big"))
                ]
                dropped += len(pb2_scope_logs.log_records) - len(records)
                pb2_kept.scope_logs.add(
                    scope=pb2_scope_logs.scope, schema_url=pb2_scope_logs.schema_url
                ).log_records.extend(records)
        batch = build_log_batch(kept)
        if self.store is not None and batch.logs:
            self.store.write([], [batch])
        else:
            dropped += len(batch.logs)
        self.count("logs_received", len(batch.logs))
        response = logs_service_pb2.ExportLogsServiceResponse()
        if dropped:
            self.count("logs_dropped", dropped)
            response.partial_success.rejected_log_records = dropped
            response.partial_success.error_message = (
                f"{dropped} log records belong to no running replay's trace, or the replay "
                "keeps no logs"
            )
        return response

    def consume_metrics(self, body: bytes, encoding: Encoding) -> Message:
        """Metrics are accepted and discarded: a service exporting them is not refused."""
        return metrics_service_pb2.ExportMetricsServiceResponse()


def serve_tool_call(request: ToolCallRequest, carrier: Mapping[str, str]) -> ToolAnswer:
    """Answer a remote tool call from the recording of the turn its `traceparent` (in
    `carrier`, the request headers) belongs to; without one, the only running replay's.

    Matched as an in-process sealed call is (`sealing.resolve_playback`, the turn's
    `ToolPlayback`); its span is the tool wrapper's (`execute_tool NAME` in the tool
    tracer's scope, source `recorded`, linked to the recorded call), under the caller's span."""
    token = otel_context.attach(propagate.extract(carrier))
    try:
        try:
            resolution = resolve_playback(request.name)
        except UnattributedToolCallError as exc:
            return ToolAnswer(ToolAnswerKind.UNATTRIBUTED, message=str(exc))
        playback = resolution.playback
        if playback is None and not ensure_capture().is_capturing():
            return ToolAnswer(
                ToolAnswerKind.NO_REPLAY,
                message=f"tool {request.name} was called, but no replay is running",
            )
        if playback is None:
            return ToolAnswer(ToolAnswerKind.LIVE)
        _, found = playback.call(request.name, request.arguments)
        if found is None:
            return ToolAnswer(ToolAnswerKind.LIVE)
        answer = _answer_from(found)
        if request.record_span:
            _record_tool_span(request, found, answer, resolution.parent)
        return answer
    finally:
        otel_context.detach(token)


def _answer_from(found: RecordedToolCall | ToolDivergence) -> ToolAnswer:
    if isinstance(found, ToolDivergence):
        closest = tuple(
            {
                "name": near.recorded.name,
                "arguments": to_json_value(near.recorded.arguments),
                "differences": list[JsonValue](near.differences),
            }
            for near in found.closest
        )
        return ToolAnswer(ToolAnswerKind.UNMATCHED, message=found.describe(), closest=closest)
    ref = RecordedRef(found.call_id, found.trace_id, found.span_id)
    if found.error:
        return ToolAnswer(ToolAnswerKind.ERROR, message=found.error, recorded=ref)
    return ToolAnswer(ToolAnswerKind.RESULT, result=to_json_value(found.result), recorded=ref)


def _record_tool_span(
    request: ToolCallRequest,
    found: RecordedToolCall | ToolDivergence,
    answer: ToolAnswer,
    parent: Context | None,
) -> None:
    attributes: dict[str, str] = {
        GenAI.OPERATION_NAME: "execute_tool",
        GenAI.TOOL_NAME: request.name,
        GenAI.TOOL_TYPE: "function",
        GenAI.TOOL_CALL_ARGUMENTS: json.dumps(request.arguments, ensure_ascii=False),
    }
    links = []
    if isinstance(found, RecordedToolCall):
        attributes[REPLAY_TOOL_SOURCE] = "recorded"
        if found.call_id:
            attributes[GenAI.TOOL_CALL_ID] = found.call_id
        link = replay_link(found.trace_id, found.span_id)
        links = [link] if link is not None else []
    tracer = trace.get_tracer(REPLAY_TOOL_TRACER_NAME)
    with tracer.start_as_current_span(
        f"execute_tool {request.name}", parent, attributes=attributes, links=links
    ) as span:
        if answer.kind is ToolAnswerKind.RESULT:
            result = answer.result
            text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
            span.set_attribute(GenAI.TOOL_CALL_RESULT, text)
            return
        if isinstance(found, ToolDivergence):
            span.set_attribute(REPLAY_TOOL_DIVERGENCE, answer.message)
        span.set_status(Status(StatusCode.ERROR, answer.message))


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """No log line per request: the bridge counts instead."""

    def do_POST(self) -> None:
        bridge = server_owner(self)
        assert isinstance(bridge, ReplayBridge)
        path = self.path.split("?", 1)[0]
        try:
            body = self._read_body()
        except (_HttpError, BadInputError) as exc:
            self.close_connection = True  # the body's end is unknown
            self._answer_error(path, exc)
            return
        if path == TOOLS_CALL_PATH:
            self._tool_call(bridge, body)
            return
        consumers: dict[str, Callable[[bytes, Encoding], Message]] = {
            TRACES_PATH: bridge.consume_traces,
            LOGS_PATH: bridge.consume_logs,
            METRICS_PATH: bridge.consume_metrics,
        }
        consume = consumers.get(path)
        encoding = Encoding.PROTOBUF
        try:
            if consume is None:
                raise _HttpError(
                    404,
                    f"no route {path}: use {TRACES_PATH}, {LOGS_PATH}, {METRICS_PATH} or "
                    f"{TOOLS_CALL_PATH}",
                )
            encoding = encoding_from_content_type(self.headers.get("Content-Type", ""))
            content = decode_content(
                body, self.headers.get("Content-Encoding", ""), DEFAULT_MAX_REQUEST_BYTES
            )
            response = consume(content, encoding)
        except Exception as exc:
            self._answer_error(path, exc, encoding)
            return
        self._send(200, encoding.content_type, encode_message(response, encoding))

    def _tool_call(self, bridge: ReplayBridge, body: bytes) -> None:
        bridge.count("tool_calls")
        try:
            request = parse_tool_call(body)
        except BadInputError as exc:
            answer = ToolAnswer(ToolAnswerKind.BAD_REQUEST, message=str(exc))
        else:
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                answer = serve_tool_call(request, headers)
            except Exception:
                logger.exception("the replay's tool playback failed on %s", request.name)
                message = "the replay's tool playback failed (its log says why); not run"
                answer = ToolAnswer(ToolAnswerKind.INTERNAL, message=message)
        bridge.count(f"tool_calls_{answer.kind}")
        self._send(answer.status, _JSON, answer.to_json())

    def _answer_error(self, path: str, exc: Exception, encoding: Encoding | None = None) -> None:
        if path == TOOLS_CALL_PATH:
            status = exc.status if isinstance(exc, _HttpError) else 400
            answer = ToolAnswer(ToolAnswerKind.BAD_REQUEST, message=str(exc))
            self._send(status, _JSON, answer.to_json())
            return
        if isinstance(exc, _HttpError):
            status, code = exc.status, ANSWERS[ErrorKind.NOT_FOUND].grpc_code
        else:
            kind = classify_error(exc)
            if kind is ErrorKind.INTERNAL:
                logger.exception("the replay's OTLP endpoint failed on %s", path)
            status, code = ANSWERS[kind].http_status, ANSWERS[kind].grpc_code
        if status == 413:
            self.close_connection = True
        message = status_pb2.Status(code=code.value[0], message=str(exc))
        encoding = encoding or Encoding.PROTOBUF
        self._send(status, encoding.content_type, encode_message(message, encoding))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length") or "0"
        if not length_header.isdigit():
            raise BadInputError(f"invalid Content-Length {length_header!r}")
        length = int(length_header)
        if length > DEFAULT_MAX_REQUEST_BYTES:
            raise PayloadTooLargeError(f"request of {length} bytes is over the limit")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadInputError("malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > DEFAULT_MAX_REQUEST_BYTES:
                raise PayloadTooLargeError("chunked request is over the limit")
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _not_allowed(self) -> None:
        self.close_connection = True
        payload = ToolAnswer(
            ToolAnswerKind.BAD_REQUEST, message=f"method {self.command} not allowed: use POST"
        ).to_json()
        self._send(405, _JSON, payload, {"Allow": "POST"})

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _send(
        self, status: int, content_type: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


@contextmanager
def replay_bridge(*, port: int = 0, store: SpanStore | None = None) -> Iterator[ReplayBridge]:
    """Run a bridge on 127.0.0.1:`port` (0: any free port) for the block: `http_agent`
    sessions name it to their service, and wait for the service's spans at their end.
    `store`: where received log records go (without one they are dropped)."""
    bridge = ReplayBridge(port=port, store=store)
    with _RUNNING_LOCK:
        _RUNNING.append(bridge)
    try:
        yield bridge
    finally:
        with _RUNNING_LOCK:
            _RUNNING.remove(bridge)
        bridge.close()


def running_bridge() -> ReplayBridge | None:
    """The bridge started last and still running in this process, if any."""
    with _RUNNING_LOCK:
        return _RUNNING[-1] if _RUNNING else None


__all__ = [
    "ENDPOINT_ENV",
    "ENDPOINT_HEADER",
    "LIVE_TOOLS_ENV",
    "LIVE_TOOLS_HEADER",
    "ReplayBridge",
    "replay_bridge",
    "running_bridge",
    "serve_tool_call",
]
