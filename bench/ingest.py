"""Measure OTLP/gRPC ingest of `otel-replay serve` (a subprocess) and print the figures.

    python bench/ingest.py [--spans 200000] [--clients 4] [--store URL] [--redact off]
                           [--writer process|thread]
    python bench/ingest.py --rate 10000 [--duration 20] [--clients 4]

Spans look like GenAI agent telemetry: agent runs of an `invoke_agent` root, `chat` calls
carrying message JSON, token usage and session ids, and `execute_tool` calls; about 1.5 KB of
attributes each. They are serialised beforehand into 512-span ExportTraceServiceRequest
bodies (unique ids patched into a few templates), then sent as raw bytes over unary gRPC calls
by K client threads, each on its own connection.

The server commits from its store writer process (`serve --writer process`, the default);
its CPU time and peak RSS are counted with the receiving process's.

Closed loop (default): every client sends its next request as soon as the last is answered.
Prints acknowledged spans/s, the time until the store counts every span (polled from this
process), request latency p50/p99 and the server's peak RSS.
--rate: requests leave on a fixed schedule for --duration seconds; prints the latency p99.

Everything stays on 127.0.0.1; the default store is a fresh SQLite file in a temporary folder.
The server redacts with its default rules unless `--redact` says otherwise (`off` measures
ingest without redaction; the spans hold no secret, so the figures show the cost of looking).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.core.records import AnyValue
from otel_replay.otlp.convert import value_to_pb2
from otel_replay.store import open_store

TRACES_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
SPANS_PER_REQUEST = 512
TEMPLATES = 8
T0 = 1_768_471_200_000_000_000
MILLISECOND = 1_000_000
MAX_SECONDS = 900.0  # the whole run, sending and waiting included
READY_TIMEOUT = 60.0
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-pro")
TOOLS = ("search_orders", "get_order", "refund_order", "lookup_customer", "send_email")


# Building the requests -------------------------------------------------------------------


def _set(pb2_span: trace_pb2.Span, key: str, value: str | int | float | list[str]) -> None:
    value_to_pb2(
        list[AnyValue](value) if isinstance(value, list) else value,
        pb2_span.attributes.add(key=key).value,
    )


def _messages(rng: random.Random, turns: int) -> str:
    messages = [
        {
            "role": "system",
            "parts": [{"type": "text", "content": "You are a support agent for an online shop."}],
        }
    ]
    for turn in range(turns):
        order = rng.randrange(10**7)
        messages.append(
            {
                "role": "user",
                "parts": [
                    {
                        "type": "text",
                        "content": f"Where is my order {order}? It was due {turn + 2} days ago.",
                    }
                ],
            }
        )
        messages.append(
            {
                "role": "assistant",
                "parts": [
                    {
                        "type": "tool_call",
                        "id": f"call_{rng.randrange(16**12):012x}",
                        "name": rng.choice(TOOLS),
                        "arguments": {"order_id": order},
                    }
                ],
            }
        )
    return json.dumps(messages)


def _reply(rng: random.Random) -> str:
    order = rng.randrange(10**7)
    text = (
        f"Your order {order} left our warehouse on day {rng.randrange(1, 28)} and is now with "
        "the carrier. I have asked them for an update and will email you the tracking link."
    )
    return json.dumps(
        [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": text}],
                "finish_reason": "stop",
            }
        ]
    )


@dataclass
class _Template:
    """One serialised request, and where its placeholder ids and session ids sit."""

    body: bytes
    attribute_bytes: int = 0
    trace_ids: list[list[int]] = field(default_factory=list)  # offsets, per trace
    span_ids: list[list[int]] = field(default_factory=list)  # offsets (own and parents'), per span
    session_ids: list[list[int]] = field(default_factory=list)  # offsets, per trace


_SESSION_WIDTH = 24  # session ids are fixed-width, so they can be patched in place


def _placeholder_session(rng: random.Random) -> str:
    return f"s-{rng.randrange(16**22):022x}"


def _build_template(rng: random.Random) -> _Template:
    request = trace_service_pb2.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in (
        ("service.name", "support-agent"),
        ("service.version", "3.4.1"),
        ("deployment.environment", "production"),
        ("telemetry.sdk.name", "opentelemetry"),
        ("telemetry.sdk.language", "python"),
        ("telemetry.sdk.version", "1.45.2"),
    ):
        resource_spans.resource.attributes.add(key=key).value.string_value = value
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "opentelemetry.instrumentation.openai_v2"
    scope_spans.scope.version = "2.1b0"
    traces: list[tuple[bytes, str]] = []
    span_ids: list[bytes] = []
    spans = scope_spans.spans
    while len(spans) < SPANS_PER_REQUEST:
        trace_id = rng.randbytes(16)
        session = _placeholder_session(rng)
        traces.append((trace_id, session))
        start = T0 + rng.randrange(10**12)
        root = spans.add(trace_id=trace_id, span_id=rng.randbytes(8), name="invoke_agent support")
        span_ids.append(root.span_id)
        root.kind = trace_pb2.Span.SPAN_KIND_INTERNAL
        root.start_time_unix_nano = start
        for key, value in (
            ("gen_ai.operation.name", "invoke_agent"),
            ("gen_ai.agent.name", "support"),
            ("gen_ai.agent.id", f"agent_{rng.randrange(16**8):08x}"),
            ("gen_ai.conversation.id", session),
            ("session.id", session),
            ("user.id", f"user-{rng.randrange(10**6)}"),
            ("gen_ai.input.messages", _messages(rng, 3)),
            ("gen_ai.output.messages", _messages(rng, 1)),
        ):
            _set(root, key, value)
        at = start + MILLISECOND
        steps = rng.randrange(2, 5)
        for step in range(steps):
            if len(spans) >= SPANS_PER_REQUEST:
                break
            chat = spans.add(trace_id=trace_id, span_id=rng.randbytes(8), name="chat gpt-4o")
            chat.parent_span_id = root.span_id
            span_ids.append(chat.span_id)
            chat.kind = trace_pb2.Span.SPAN_KIND_CLIENT
            chat.start_time_unix_nano = at
            at += rng.randrange(300, 4000) * MILLISECOND
            chat.end_time_unix_nano = at
            model = rng.choice(MODELS)
            for key, chat_value in (
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.system", "openai"),
                ("gen_ai.request.model", model),
                ("gen_ai.response.model", f"{model}-2025-08-06"),
                ("gen_ai.request.temperature", 0.2),
                ("gen_ai.request.max_tokens", 1024),
                ("gen_ai.usage.input_tokens", rng.randrange(50, 5000)),
                ("gen_ai.usage.output_tokens", rng.randrange(5, 800)),
                ("gen_ai.response.finish_reasons", ["tool_calls" if step else "stop"]),
                ("gen_ai.response.id", f"chatcmpl-{rng.randrange(16**16):016x}"),
                ("gen_ai.conversation.id", session),
                ("server.address", "api.openai.com"),
                ("server.port", 443),
                ("gen_ai.input.messages", _messages(rng, 2 + step)),
                ("gen_ai.output.messages", _reply(rng)),
            ):
                _set(chat, key, chat_value)
            if len(spans) >= SPANS_PER_REQUEST:
                break
            tool_name = rng.choice(TOOLS)
            tool = spans.add(
                trace_id=trace_id, span_id=rng.randbytes(8), name=f"execute_tool {tool_name}"
            )
            tool.parent_span_id = root.span_id
            span_ids.append(tool.span_id)
            tool.kind = trace_pb2.Span.SPAN_KIND_INTERNAL
            tool.start_time_unix_nano = at
            at += rng.randrange(20, 900) * MILLISECOND
            tool.end_time_unix_nano = at
            result = {
                "order_id": rng.randrange(10**7),
                "status": rng.choice(("shipped", "delayed", "refunded")),
                "items": [
                    {"sku": f"SKU-{rng.randrange(10**6)}", "qty": rng.randrange(1, 4)}
                    for _ in range(rng.randrange(20, 36))
                ],
            }
            for key, tool_value in (
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.name", tool_name),
                ("gen_ai.tool.call.id", f"call_{rng.randrange(16**12):012x}"),
                ("gen_ai.tool.call.arguments", json.dumps({"order_id": result["order_id"]})),
                ("gen_ai.tool.call.result", json.dumps(result)),
                ("gen_ai.conversation.id", session),
            ):
                _set(tool, key, tool_value)
        root.end_time_unix_nano = at + MILLISECOND
    body = request.SerializeToString()
    template = _Template(body, sum(kv.ByteSize() for s in spans for kv in s.attributes))
    for trace_id, session in traces:
        template.trace_ids.append(_offsets(body, trace_id))
        template.session_ids.append(_offsets(body, session.encode()))
    template.span_ids = [_offsets(body, span_id) for span_id in span_ids]
    return template


def _offsets(body: bytes, needle: bytes) -> list[int]:
    found = []
    at = body.find(needle)
    while at >= 0:
        found.append(at)
        at = body.find(needle, at + 1)
    assert found, "placeholder not found in the serialised template"
    return found


@dataclass
class Requests:
    bodies: list[bytes]
    spans: int
    attribute_bytes_per_span: float


def build_requests(total_spans: int, seed: int) -> Requests:
    """Unique-id request bodies holding `total_spans` spans (rounded up to whole requests)."""
    rng = random.Random(seed)
    templates = [_build_template(rng) for _ in range(TEMPLATES)]
    attribute_bytes = sum(t.attribute_bytes for t in templates) / (TEMPLATES * SPANS_PER_REQUEST)
    # Ids differ on every run, so that runs against one PostgreSQL store never collide.
    run = random.SystemRandom().randrange(1, 2**32)
    count = -(-total_spans // SPANS_PER_REQUEST)
    bodies = []
    next_trace = next_span = 1
    for index in range(count):
        template = templates[index % TEMPLATES]
        body = bytearray(template.body)
        for trace_offsets, session_offsets in zip(
            template.trace_ids, template.session_ids, strict=True
        ):
            trace_id = (run << 96 | next_trace).to_bytes(16, "big")
            session = f"s-{run:08x}-{next_trace:013x}".encode()
            assert len(session) == _SESSION_WIDTH
            next_trace += 1
            for at in trace_offsets:
                body[at : at + 16] = trace_id
            for at in session_offsets:
                body[at : at + _SESSION_WIDTH] = session
        for span_offsets in template.span_ids:
            span_id = (run << 32 | next_span).to_bytes(8, "big")
            next_span += 1
            for at in span_offsets:
                body[at : at + 8] = span_id
        bodies.append(bytes(body))
    return Requests(bodies, count * SPANS_PER_REQUEST, attribute_bytes)


# The server ------------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    pid: int  # the server's own process (not py-spy's when profiling)

    def processes(self) -> list[int]:
        """The server and its child processes (its store writer, `serve --writer process`)."""
        pids = [self.pid]
        for pid in pids:
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as children:
                        pids += [int(child) for child in children.read().split()]
            except FileNotFoundError:
                continue
        return pids

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server's processes have used so far."""
        total = 0.0
        for pid in self.processes():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def peak_rss_text(self) -> str:
        """Peak RSS of each process and their sum, e.g. `96 + 69 = 165 MiB`."""
        peaks = self.peak_rss_mib()
        parts = " + ".join(f"{peak:.0f}" for peak in peaks)
        return f"{parts} = {sum(peaks):.0f} MiB" if len(peaks) > 1 else f"{parts} MiB"

    def peak_rss_mib(self) -> list[float]:
        """Each server process's peak RSS, the receiving one first."""
        peaks = []
        for pid in self.processes():
            try:
                with open(f"/proc/{pid}/status") as status:
                    peaks += [int(line.split()[1]) / 1024 for line in status if "VmHWM:" in line]
            except FileNotFoundError:
                continue
        return peaks


@contextmanager
def running_server(
    store_url: str,
    profile: str | None = None,
    redact: tuple[str, ...] = (),
    writer: str = "process",
) -> Iterator[Server]:
    """`otel-replay serve` on a free 127.0.0.1 port; stopped with SIGTERM (then killed).

    With `profile`, the server runs under `py-spy record`, which writes collapsed stacks there.
    """
    prefix = []
    if profile:
        prefix = ["py-spy", "record", "--format", "raw", "--threads", "--rate", "250"]
        prefix += ["--output", profile, "--"]
    proc = subprocess.Popen(
        [
            *prefix,
            sys.executable,
            "-m",
            "otel_replay",
            "serve",
            "--grpc",
            "127.0.0.1:0",
            "--http",
            "none",
            "--store",
            store_url,
            *(f"--redact={rule}" for rule in redact),
            f"--writer={writer}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    server_pid = proc.pid
    lines: list[str] = []
    try:
        stdout = proc.stdout
        assert stdout is not None
        ready = threading.Event()

        def read_until_ready() -> None:
            # py-spy prints its own lines first; the server's ready line names the port.
            for line in stdout:
                lines.append(line.strip())
                if "OTLP/gRPC on" in line:
                    ready.set()
                    return

        threading.Thread(target=read_until_ready, daemon=True).start()
        match = (
            re.search(r"OTLP/gRPC on 127\.0\.0\.1:(\d+)", lines[-1])
            if (ready.wait(READY_TIMEOUT))
            else None
        )
        if profile:  # py-spy's child is the server
            with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as children:
                server_pid = int(children.read().split()[0])
        if match is None:
            raise SystemExit(f"serve did not start: {lines!r}")
        yield Server(proc, int(match.group(1)), server_pid)
    finally:
        if proc.poll() is None:
            os.kill(server_pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(server_pid, signal.SIGKILL)
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            rest = proc.stdout.read().splitlines()
            proc.stdout.close()
            for line in rest:
                if line.startswith("otel-replay stopped"):
                    print(f"server: {line}")


# The clients -----------------------------------------------------------------------------


@dataclass
class Sent:
    latencies: list[float] = field(default_factory=list)  # seconds, one per acknowledged request
    retries: int = 0
    failures: int = 0
    behind_schedule: float = 0.0  # largest delay of a scheduled send (rate mode)
    first_send: float = 0.0
    last_ack: float = 0.0


def send_all(
    port: int, bodies: list[bytes], clients: int, interval: float | None, deadline: float
) -> Sent:
    """Send every body once acknowledged; `interval` seconds apart when set (open loop)."""
    sent = Sent()
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    start = time.perf_counter()
    sent.first_send = start

    def client() -> None:
        # A local subchannel pool gives every client its own HTTP/2 connection.
        options = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            export = channel.unary_unary(
                TRACES_METHOD, request_serializer=None, response_deserializer=None
            )
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                if interval is not None:
                    due = start + index * interval
                    pause = due - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                    else:
                        with lock:
                            sent.behind_schedule = max(sent.behind_schedule, -pause)
                while True:
                    if time.perf_counter() > deadline:
                        return
                    began = time.perf_counter()
                    try:
                        export(bodies[index], timeout=60)
                    except grpc.RpcError as error:
                        code = error.code()  # type: ignore[attr-defined]
                        with lock:
                            if code is grpc.StatusCode.UNAVAILABLE:
                                sent.retries += 1
                            else:
                                sent.failures += 1
                        if code is not grpc.StatusCode.UNAVAILABLE:
                            break
                        time.sleep(1.0)  # the receiver's RetryInfo delay
                        continue
                    done = time.perf_counter()
                    with lock:
                        sent.latencies.append(done - began)
                        sent.last_ack = max(sent.last_ack, done)
                    break

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.perf_counter()) + 70)
    return sent


def wait_until_queryable(store_url: str, expected: int, deadline: float) -> float | None:
    """Poll the store's span count from this process; the moment it reaches `expected`."""
    store = open_store(store_url)
    try:
        while time.perf_counter() < deadline:
            if store.counts().spans >= expected:
                return time.perf_counter()
            time.sleep(0.01)
        return None
    finally:
        store.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _baseline_spans(store_url: str) -> int:
    store = open_store(store_url)
    try:
        return store.counts().spans
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=200_000, help="spans to send (closed loop)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent gRPC clients")
    parser.add_argument("--store", default=None, help="store URL (default: a fresh SQLite file)")
    parser.add_argument("--rate", type=int, default=None, help="spans/s on a fixed schedule")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of --rate load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default=None, help="run the server under py-spy, stacks here")
    parser.add_argument(
        "--redact",
        action="append",
        default=[],
        help="passed to serve --redact (`off` measures ingest without redaction)",
    )
    parser.add_argument(
        "--writer",
        choices=("process", "thread"),
        default="process",
        help="passed to serve --writer (`thread` measures committing inside the receiver)",
    )
    args = parser.parse_args()
    if args.rate is not None:
        args.spans = min(args.spans, int(args.rate * args.duration))

    requests = build_requests(args.spans, args.seed)
    bodies, total = requests.bodies, requests.spans
    wire_bytes = sum(len(b) for b in bodies) / total
    print(
        f"{total} spans in {len(bodies)} requests of {SPANS_PER_REQUEST} spans; per span "
        f"{requests.attribute_bytes_per_span:.0f} B of attributes, {wire_bytes:.0f} B on the wire; "
        f"{args.clients} clients"
    )
    with tempfile.TemporaryDirectory(prefix="otel-replay-bench-") as folder:
        store_url = args.store or f"sqlite:///{os.path.join(folder, 'store.db')}"
        with running_server(store_url, args.profile, tuple(args.redact), args.writer) as server:
            baseline = _baseline_spans(store_url)
            cpu_before = server.cpu_seconds()
            deadline = time.perf_counter() + MAX_SECONDS
            interval = SPANS_PER_REQUEST / args.rate if args.rate else None
            sent = send_all(server.port, bodies, args.clients, interval, deadline)
            queryable = wait_until_queryable(store_url, baseline + total, deadline)
            peak_rss = server.peak_rss_text()
            server_cpu = server.cpu_seconds() - cpu_before
        acked_spans = len(sent.latencies) * SPANS_PER_REQUEST
        elapsed = sent.last_ack - sent.first_send
        latencies_ms = [s * 1000 for s in sent.latencies]
        print(
            f"store: {store_url if args.store else 'fresh SQLite file'}; "
            f"redaction: {', '.join(args.redact) or 'default rules'}; writer: {args.writer}"
        )
        if args.rate is not None:
            print(
                f"rate {args.rate} spans/s for {elapsed:.1f} s: {acked_spans} spans acknowledged, "
                f"latency p50 {_percentile(latencies_ms, 0.5):.1f} ms, "
                f"p99 {_percentile(latencies_ms, 0.99):.1f} ms, "
                f"max {max(latencies_ms):.1f} ms; "
                f"sends behind schedule by up to {sent.behind_schedule * 1000:.0f} ms"
            )
        else:
            print(
                f"acknowledged {acked_spans} spans in {elapsed:.2f} s: "
                f"{acked_spans / elapsed:,.0f} spans/s "
                f"({len(sent.latencies) / elapsed:.1f} requests/s)"
            )
            print(
                f"request latency: p50 {_percentile(latencies_ms, 0.5):.1f} ms, "
                f"p99 {_percentile(latencies_ms, 0.99):.1f} ms"
            )
        if queryable is None:
            print("queryable: NOT all spans were counted in the store before the deadline")
        else:
            print(
                f"all spans queryable {queryable - sent.first_send:.2f} s after the first send "
                f"({max(0.0, queryable - sent.last_ack) * 1000:.0f} ms after the last ack)"
            )
        print(
            f"server peak RSS (VmHWM): {peak_rss} (receiving process first, then its store "
            f"writer); server CPU {server_cpu:.1f} s, all processes "
            f"({server_cpu / elapsed:.0%} of one core while sending)"
        )
        print(f"retried (UNAVAILABLE): {sent.retries}, failed: {sent.failures}")


if __name__ == "__main__":
    main()
