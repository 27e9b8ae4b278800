"""Agents in other processes and languages, replayed over HTTP with a replay bridge: their
spans join the run (tool calls, LLM calls, tokens, span tree) and their tools are sealed by
the bridge's tool playback.

Two real services: a Python one (this module run as a program: stdlib http.server, the
OpenTelemetry SDK with the official OTLP/HTTP exporter, `@otel_replay.tool` with
`otel_replay.remote_tools`), and the Node.js example in examples/node-agent.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from pydantic import JsonValue

from otel_replay.core.runs import ReplayRun, RunStatus, ToolCallSummary
from otel_replay.diff.span_tree import diff_span_trees
from otel_replay.diff.transcript import diff_run_transcripts, format_tool_calls
from otel_replay.replay.agents import http_agent
from otel_replay.replay.capture import ensure_capture
from otel_replay.replay.matchers import RecordedToolCall, ToolPlayback
from otel_replay.replay.remote import ReplayBridge, replay_bridge
from otel_replay.replay.remote_client import RemoteToolError, remote_tools
from otel_replay.replay.remote_protocol import ENDPOINT_HEADER, LIVE_TOOLS_HEADER
from otel_replay.replay.runner import ReplayOptions, recorded_tool_calls, replay_scenario
from otel_replay.replay.sealing import active_replay, sealed_turn
from otel_replay.replay.tools import RecordedToolError, UnmatchedToolCallError
from otel_replay.replay.tools import tool as otel_replay_tool
from otel_replay.scenario.model import Scenario
from otel_replay.store import SqlSpanStore
from tests.replay.sealing_agents import recorded_call, recorded_scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_AGENT = REPO_ROOT / "examples" / "node-agent" / "server.js"
STATUS: JsonValue = {"order_id": "123", "status": "recorded: in transit"}
REFUNDED: JsonValue = {"order_id": "123", "refund": "recorded, not issued"}
SERVICE_START_SECONDS = 30.0  # a bound on a broken service, never a stand-in for an event


def _support_scenario(name: str = "support-123") -> Scenario:
    return recorded_scenario(
        name,
        [
            ("where is my order 123?", [recorded_call("check_status", "123", STATUS, 1)]),
            ("please refund order 123", [recorded_call("issue_refund", "123", REFUNDED, 2)]),
        ],
    )


# ---------------------------------------------------------------- the Python agent service
# Run as a program (`python -m tests.replay.test_remote_agents`): no replay runs in its
# process, so its tools can only be sealed through the bridge.


def _serve_python_agent() -> None:
    from opentelemetry import propagate, trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import SpanKind

    import otel_replay

    provider = TracerProvider(resource=Resource.create({"service.name": "python-support-agent"}))
    trace.set_tracer_provider(provider)
    tracer = trace.get_tracer("python-support-agent")
    exporting_to: set[str] = set()
    side_effects = Path(os.environ["SIDE_EFFECTS_DIR"])

    @otel_replay.tool
    def check_status(order_id: str) -> dict[str, str]:
        (side_effects / f"status-{order_id}").write_text(order_id)
        return {"order_id": order_id, "status": "in transit"}

    @otel_replay.tool
    def issue_refund(order_id: str) -> dict[str, str]:
        (side_effects / f"refund-{order_id}").write_text(order_id)
        return {"order_id": order_id, "refund": "issued"}

    def llm_call(messages: list[dict[str, Any]], output: str) -> None:
        with tracer.start_as_current_span("chat scripted-support", kind=SpanKind.CLIENT) as span:
            span.set_attribute("gen_ai.operation.name", "chat")
            span.set_attribute("gen_ai.request.model", "scripted-support")
            span.set_attribute(
                "gen_ai.usage.input_tokens", sum(len(str(m["content"]).split()) for m in messages)
            )
            span.set_attribute("gen_ai.usage.output_tokens", len(output.split()))

    def answer(messages: list[dict[str, Any]]) -> str:
        user = str(messages[-1]["content"])
        order_id = re.search(r"\d+", user)
        if order_id is None:
            llm_call(messages, "Which order?")
            return "Which order?"
        tool = issue_refund if "refund" in user else check_status
        llm_call(messages, f"{tool.__name__}({order_id[0]})")
        result = tool(order_id=order_id[0])
        reply = f"{tool.__name__}: {json.dumps(result, sort_keys=True)}"
        llm_call([*messages, {"role": "tool", "content": json.dumps(result)}], reply)
        return reply

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            endpoint = self.headers.get(ENDPOINT_HEADER)
            if endpoint and endpoint not in exporting_to:
                exporting_to.add(endpoint)
                exporter = OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")
                provider.add_span_processor(BatchSpanProcessor(exporter))
            status, payload = 200, {}
            with tracer.start_as_current_span(
                "POST /v1/chat/completions",
                context=propagate.extract({k.lower(): v for k, v in self.headers.items()}),
                kind=SpanKind.SERVER,
            ):
                try:
                    # IGNORE_PLAYBACK: a service that does not ask the replay (a bug to catch).
                    sealing = os.environ.get("IGNORE_PLAYBACK") != "1"
                    with otel_replay.remote_tools(self.headers if sealing else {}):
                        reply = answer(body["messages"])
                    payload = {"choices": [{"message": {"role": "assistant", "content": reply}}]}
                except Exception as exc:
                    status, payload = 500, {"error": {"message": str(exc)}}
            provider.force_flush()  # the turn's spans reach the replay before its answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


# ---------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    scope: str  # the instrumentation scope of its own spans


def _start(
    command: list[str], side_effects: Path, **extra_env: str
) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "SIDE_EFFECTS_DIR": str(side_effects), "PORT": "0", **extra_env}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # the service says where it listens once it does
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    if found is None:
        process.kill()
        process.wait(SERVICE_START_SECONDS)
        pytest.fail(f"{command} did not start: {line!r}")
    return process, found[0]


@pytest.fixture
def side_effects(tmp_path: Path) -> Path:
    folder = tmp_path / "side-effects"
    folder.mkdir()
    return folder


@pytest.fixture(params=["python", "node"])
def service(request: pytest.FixtureRequest, side_effects: Path) -> Iterator[Service]:
    if request.param == "node":
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        command, scope = [node, str(NODE_AGENT)], "node-agent"
    else:
        command = [sys.executable, "-m", "tests.replay.test_remote_agents"]
        scope = "otel_replay.tool"
    with _running(command, side_effects) as url:
        yield Service(request.param, url, scope)


@contextmanager
def _running(command: list[str], side_effects: Path, **extra_env: str) -> Iterator[str]:
    process, url = _start(command, side_effects, **extra_env)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(SERVICE_START_SECONDS)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def bridge(store: SqlSpanStore) -> Iterator[ReplayBridge]:
    with replay_bridge(store=store) as running:
        yield running


def _replay(
    service: Service, store: SqlSpanStore, scenario: Scenario, options: ReplayOptions | None = None
) -> ReplayRun:
    return replay_scenario(
        scenario, http_agent(service.url), store, agent_label=service.name, options=options
    )


def _tool_calls(run: ReplayRun) -> list[list[ToolCallSummary]]:
    return [t.replayed.tool_calls if t.replayed else [] for t in run.turns]


# ---------------------------------------------------------------- replays of both services


def test_http_agent_tools_are_sealed_and_its_tool_calls_and_tokens_join_the_run(
    service: Service, bridge: ReplayBridge, store: SqlSpanStore, side_effects: Path
) -> None:
    run = _replay(service, store, _support_scenario())

    assert run.status is RunStatus.OK, [t.error for t in run.turns]
    assert list(side_effects.iterdir()) == []  # no tool ran for real
    assert _tool_calls(run) == [
        [
            ToolCallSummary(
                name="check_status", arguments={"order_id": "123"}, result=STATUS, source="recorded"
            )
        ],
        [
            ToolCallSummary(
                name="issue_refund",
                arguments={"order_id": "123"},
                result=REFUNDED,
                source="recorded",
            )
        ],
    ]
    for turn in run.turns:
        assert turn.replayed is not None
        assert turn.replayed.llm_calls == 2
        assert turn.replayed.input_tokens and turn.replayed.input_tokens > 0
        assert turn.replayed.output_tokens and turn.replayed.output_tokens > 0
        assert turn.divergences == [] and turn.error is None
    assert "recorded: in transit" in (run.turns[0].replayed.assistant or "")  # type: ignore[union-attr]


def test_http_agent_transcript_and_span_tree_diffs_show_the_services_work(
    service: Service, bridge: ReplayBridge, store: SqlSpanStore
) -> None:
    first = _replay(service, store, _support_scenario())
    second = _replay(service, store, _support_scenario())

    transcript = diff_run_transcripts(first)
    assert [format_tool_calls(t.replayed.tool_calls) for t in transcript.turns if t.replayed] == [
        "check_status(order_id=123)",
        "issue_refund(order_id=123)",
    ]
    assert [t.tools_changed for t in transcript.turns] == [False, False]
    assert [t.replayed.input_tokens for t in transcript.turns if t.replayed] == [
        t.replayed.input_tokens for t in first.turns if t.replayed
    ]

    spans = store.get_spans(first.trace_ids)
    assert {s.trace_id for s in spans} == set(first.trace_ids)
    tree = diff_span_trees(spans, store.get_spans(second.trace_ids))
    steps = [step.node for step in tree.walk()]
    names = [n.replay.name for n in steps if n.replay is not None]
    assert names.count("POST /v1/chat/completions") == 2
    assert names.count("chat scripted-support") == 4
    assert "execute_tool check_status" in names and "execute_tool issue_refund" in names
    assert tree.summary.added == tree.summary.removed == 0
    tool_scopes = {
        n.replay.scope.name
        for n in steps
        if n.replay is not None and n.replay.name.startswith("execute_tool")
    }
    assert service.scope in tool_scopes


def test_http_agent_tool_call_the_recording_never_made_fails_its_turn_naming_the_closest(
    service: Service, bridge: ReplayBridge, store: SqlSpanStore, side_effects: Path
) -> None:
    scenario = recorded_scenario(
        "status-999",
        [("where is my order 123?", [recorded_call("check_status", "999", STATUS, 1)])],
    )
    run = _replay(service, store, scenario)

    assert list(side_effects.iterdir()) == []
    (turn,) = run.turns
    assert turn.error is not None and "HTTP 500" in turn.error
    (divergence,) = turn.divergences
    assert 'check_status({"order_id":"123"}) matches no recorded call' in divergence
    assert 'closest: check_status({"order_id":"999"}): arguments differ' in divergence


def test_http_agent_live_tool_runs_in_the_service_and_is_marked_live(
    service: Service, bridge: ReplayBridge, store: SqlSpanStore, side_effects: Path
) -> None:
    options = ReplayOptions(live_tools=frozenset({"check_status"}))
    run = _replay(service, store, _support_scenario(), options)

    assert run.status is RunStatus.OK, [t.error for t in run.turns]
    assert sorted(p.name for p in side_effects.iterdir()) == ["status-123"]
    assert [[(c.name, c.source) for c in calls] for calls in _tool_calls(run)] == [
        [("check_status", "live")],
        [("issue_refund", "recorded")],
    ]


def test_python_service_that_never_asks_the_playback_fails_the_run_as_unsealed(
    bridge: ReplayBridge, store: SqlSpanStore, side_effects: Path
) -> None:
    command = [sys.executable, "-m", "tests.replay.test_remote_agents"]
    with _running(command, side_effects, IGNORE_PLAYBACK="1") as url:
        service = Service("python", url, "otel_replay.tool")
        run = _replay(service, store, _support_scenario())
    assert sorted(p.name for p in side_effects.iterdir()) == ["refund-123", "status-123"]
    assert run.status is RunStatus.UNSEALED_TOOL


# ---------------------------------------------------------------- the endpoint itself


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def _tool_call(
    bridge: ReplayBridge, body: dict[str, Any], traceparent: str = ""
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if traceparent:
        headers["traceparent"] = traceparent
    status, data = _post(f"{bridge.endpoint}/v1/tools/call", json.dumps(body).encode(), headers)
    return status, json.loads(data)


def test_tool_call_without_a_running_replay_is_refused_with_404(bridge: ReplayBridge) -> None:
    status, answer = _tool_call(bridge, {"name": "check_status", "arguments": {"order_id": "1"}})
    assert status == 404
    assert answer == {
        "error": "tool check_status was called, but no replay is running",
        "reason": "no_replay",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "tool call: invalid JSON"),
        (b"[]", "tool call: send a JSON object"),
        (b'{"arguments": {}}', 'tool call: "name" must be a non-empty string'),
        (b'{"name": "t", "arguments": [1]}', 'tool call: "arguments" must be a JSON object'),
    ],
)
def test_malformed_tool_call_is_answered_400(
    bridge: ReplayBridge, body: bytes, message: str
) -> None:
    status, data = _post(
        f"{bridge.endpoint}/v1/tools/call", body, {"Content-Type": "application/json"}
    )
    assert status == 400
    assert json.loads(data)["error"].startswith(message)


def test_tool_call_in_a_turn_is_served_once_then_names_the_closest_recorded_calls(
    bridge: ReplayBridge,
) -> None:
    turn = _support_scenario().turns[0]
    playback = ToolPlayback(turn.index, recorded_tool_calls(turn))
    trace_id = 0x0AF7651916CD43DD8448EB211C80319C
    traceparent = f"00-{trace_id:032x}-b7ad6b7169203331-01"
    capture = ensure_capture()
    capture.register(trace_id)
    try:
        with active_replay(trace_id, frozenset()) as replay, sealed_turn(replay, playback):
            served = _tool_call(
                bridge, {"name": "check_status", "arguments": {"order_id": "123"}}, traceparent
            )
            again = _tool_call(
                bridge, {"name": "check_status", "arguments": {"order_id": "123"}}, traceparent
            )
    finally:
        captured = capture.take(trace_id)
    assert served == (
        200,
        {
            "result": STATUS,
            "recorded": {"call_id": "call_1", "trace_id": "a" * 32, "span_id": f"{1:016x}"},
        },
    )
    assert again[0] == 409
    assert again[1]["reason"] == "unmatched"
    assert again[1]["error"] == (
        'turn 1: check_status({"order_id":"123"}) matches no recorded call (strict); closest: '
        'check_status({"order_id":"123"}): already served to an earlier call'
    )
    assert again[1]["closest"] == [
        {
            "name": "check_status",
            "arguments": {"order_id": "123"},
            "differences": ["already served to an earlier call"],
        }
    ]
    # Both calls were recorded as sealed tool spans under the caller's span.
    spans = [s for s in captured.spans if s.name == "execute_tool check_status"]
    assert [s.parent.span_id if s.parent else None for s in spans] == [0xB7AD6B7169203331] * 2
    assert [s.instrumentation_scope.name for s in spans if s.instrumentation_scope] == [
        "otel_replay.tool"
    ] * 2


def test_otlp_spans_of_a_captured_trace_are_kept_and_others_reported_rejected(
    bridge: ReplayBridge,
) -> None:
    trace_id = 0x5B8EFFF798038103D269B633813FC60C
    document = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "svc-scope"},
                        "spans": [
                            {
                                "traceId": f"{t:032x}",
                                "spanId": f"{n:016x}",
                                "parentSpanId": "eee19b7ec3c1b174",
                                "name": f"span {n}",
                                "startTimeUnixNano": "1",
                                "endTimeUnixNano": "2",
                            }
                            for n, t in ((1, trace_id), (2, trace_id + 1))
                        ],
                    }
                ],
            }
        ]
    }
    capture = ensure_capture()
    capture.register(trace_id)
    try:
        status, data = _post(
            f"{bridge.endpoint}/v1/traces",
            json.dumps(document).encode(),
            {"Content-Type": "application/json"},
        )
        assert capture.wait_for_children(trace_id, [0xEEE19B7EC3C1B174], 0)
    finally:
        captured = capture.take(trace_id)
    assert status == 200
    response = json.loads(data)
    assert response["partialSuccess"]["rejectedSpans"] == "1"
    (resource_spans,) = captured.received
    assert resource_spans.resource.attributes[0].value.string_value == "svc"
    assert resource_spans.scope_spans[0].scope.name == "svc-scope"
    assert [s.name for s in resource_spans.scope_spans[0].spans] == ["span 1"]


def test_protobuf_otlp_and_unknown_routes(bridge: ReplayBridge) -> None:
    empty = trace_service_pb2.ExportTraceServiceRequest().SerializeToString()
    ok = _post(f"{bridge.endpoint}/v1/traces", empty, {"Content-Type": "application/x-protobuf"})
    missing = _post(
        f"{bridge.endpoint}/v2/traces", empty, {"Content-Type": "application/x-protobuf"}
    )
    wrong_type = _post(f"{bridge.endpoint}/v1/traces", empty, {"Content-Type": "text/plain"})
    assert ok == (200, b"")
    assert missing[0] == 404
    assert wrong_type[0] == 415


def test_requests_name_the_bridge_and_its_live_tools(bridge: ReplayBridge) -> None:
    playback = ToolPlayback(0, [], live_tools=frozenset({"b", "a"}))
    trace_id = 0x1
    with active_replay(trace_id, playback.live_tools) as replay, sealed_turn(replay, playback):
        headers = bridge.request_headers()
    assert headers == {ENDPOINT_HEADER: bridge.endpoint, LIVE_TOOLS_HEADER: "a,b"}
    assert bridge.env() == {"OTEL_REPLAY_OTLP_ENDPOINT": bridge.endpoint}


def test_otlp_logs_of_a_captured_trace_are_stored_chunked_and_gzipped(
    bridge: ReplayBridge, store: SqlSpanStore
) -> None:
    trace_id = 0x6C2A4E0B17A1427F9C0D31B1D4E8F5A2
    document = {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]
                },
                "scopeLogs": [
                    {
                        "scope": {"name": "svc-logs"},
                        "logRecords": [
                            {
                                "timeUnixNano": "5",
                                "traceId": f"{t:032x}",
                                "spanId": "00f067aa0ba902b7",
                                "body": {"stringValue": f"record {n}"},
                            }
                            for n, t in ((1, trace_id), (2, trace_id + 1))
                        ],
                    }
                ],
            }
        ]
    }
    body = gzip.compress(json.dumps(document).encode())
    chunked = (
        b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]))
        + b"0\r\n\r\n"
    )
    capture = ensure_capture()
    capture.register(trace_id)
    try:
        with socket.create_connection(("127.0.0.1", bridge.port), timeout=10) as connection:
            connection.sendall(
                b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
                b"Connection: close\r\n\r\n" + chunked
            )
            answer = b"".join(iter(lambda: connection.recv(65536), b""))
    finally:
        capture.take(trace_id)
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(payload)["partialSuccess"]["rejectedLogRecords"] == "1"
    stored = store.get_log_records([f"{trace_id:032x}"])
    assert [log.body for log in stored] == ["record 1"]


# ---------------------------------------------------------------- the Python client


@otel_replay_tool
def lookup_order(order_id: str) -> dict[str, str]:
    raise AssertionError("a sealed tool ran")


@contextmanager
def _in_a_turn(recorded: list[RecordedToolCall]) -> Iterator[ToolPlayback]:
    """A replay turn of this process, on the current thread's span."""
    playback = ToolPlayback(0, recorded)
    tracer = trace.get_tracer("tests")
    capture = ensure_capture()
    with tracer.start_as_current_span("turn") as span:
        trace_id = span.get_span_context().trace_id
        capture.register(trace_id)
        try:
            with active_replay(trace_id, frozenset()) as replay, sealed_turn(replay, playback):
                yield playback
        finally:
            capture.take(trace_id)


def _recorded(result: JsonValue = None, error: str | None = None) -> RecordedToolCall:
    return RecordedToolCall("lookup_order", {"order_id": "7"}, result, error, "call_7")


def test_remote_tools_serves_the_decorated_tool_from_the_bridge(bridge: ReplayBridge) -> None:
    headers = {ENDPOINT_HEADER: bridge.endpoint}
    with _in_a_turn([_recorded({"status": "recorded"})]) as playback, remote_tools(headers) as r:
        assert r is not None
        assert lookup_order("7") == {"status": "recorded"}
    assert [(live.name, recorded.call_id) for live, recorded in playback.served] == [
        ("lookup_order", "call_7")
    ]
    assert bridge.counters["tool_calls_result"] == 1


def test_remote_tools_raises_the_recorded_error_and_the_bridges_divergence(
    bridge: ReplayBridge,
) -> None:
    with (
        _in_a_turn([_recorded(error="order service down")]),
        remote_tools(endpoint=bridge.endpoint),
    ):
        with pytest.raises(RecordedToolError, match=r"^order service down$"):
            lookup_order("7")
        with pytest.raises(UnmatchedToolCallError) as unmatched:
            lookup_order("8")
    assert str(unmatched.value) == (
        'turn 1: lookup_order({"order_id":"8"}) matches no recorded call (strict); closest: '
        'lookup_order({"order_id":"7"}): arguments differ: order_id="8" (recorded "7"), '
        "already served to an earlier call"
    )


def test_remote_tools_reads_the_endpoint_from_the_environment(
    bridge: ReplayBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_REPLAY_OTLP_ENDPOINT", bridge.endpoint)
    monkeypatch.setenv("OTEL_REPLAY_LIVE_TOOLS", "other_tool, lookup_order")
    with remote_tools() as remote:
        assert remote is not None
        assert remote.endpoint == bridge.endpoint
        assert remote.live_tools == {"other_tool", "lookup_order"}


def test_unreachable_http_agent_fails_its_turns_without_waiting_for_spans(
    bridge: ReplayBridge, store: SqlSpanStore
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    factory = http_agent(url, span_timeout=SERVICE_START_SECONDS * 10)
    run = replay_scenario(_support_scenario(), factory, store, agent_label="down")
    assert run.status is RunStatus.AGENT_FAILED
    assert bridge.counters["service_spans_missing"] == 0  # nothing was waited for


def test_remote_tools_without_an_endpoint_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_REPLAY_OTLP_ENDPOINT", raising=False)
    with remote_tools({}) as remote:
        assert remote is None


def test_remote_tools_refuses_rather_than_runs_when_the_bridge_is_gone(
    bridge: ReplayBridge,
) -> None:
    endpoint = bridge.endpoint
    bridge.close()
    with remote_tools(endpoint=endpoint), pytest.raises(RemoteToolError, match="was not run"):
        lookup_order("7")


if __name__ == "__main__":
    _serve_python_agent()
