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

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2

from otel_replay.otlp.decode import Encoding, decode_logs_request, decode_trace_request
from otel_replay.receiver.ingest import ExportResult
from otel_replay.receiver.responses import Signal, build_export_response
from otel_replay.replay.capture import SpanCapture, ensure_capture
from otel_replay.replay.remote_http import BridgeHandler
from otel_replay.replay.remote_playback import serve_tool_call
from otel_replay.replay.remote_protocol import (
    ENDPOINT_ENV,
    ENDPOINT_HEADER,
    LIVE_TOOLS_ENV,
    LIVE_TOOLS_HEADER,
    format_live_tools,
)
from otel_replay.replay.sealing import current_playback
from otel_replay.standin.loopback import LoopbackServer
from otel_replay.store.base import SpanStore
from otel_replay.store.rows import build_log_batch

logger = logging.getLogger(__name__)

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
        super().__init__(BridgeHandler, port, "otel-replay-bridge")

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
        self.count("spans_dropped", dropped)
        message = (
            f"{dropped} spans belong to no running replay's trace (continue the traceparent "
            "the replay sent)"
        )
        return build_export_response(Signal.TRACES, ExportResult(dropped, message))

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
            self.count("logs_stored", len(batch.logs))
        else:
            dropped += len(batch.logs)
        self.count("logs_dropped", dropped)
        message = (
            f"{dropped} log records belong to no running replay's trace, or the replay keeps "
            "no logs"
        )
        return build_export_response(Signal.LOGS, ExportResult(dropped, message))

    def consume_metrics(self, body: bytes, encoding: Encoding) -> Message:
        """Metrics are accepted and discarded: a service exporting them is not refused."""
        return build_export_response(Signal.METRICS, ExportResult())


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
