"""Reliability cycles against `otel-replay serve` as a real process, shared by the CI tests in
this folder (a few cycles) and bench/reliability.py (the full counts, printed as figures).

Every cycle is bounded in count and time; traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import os
import resource
import socket
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from otel_replay.store import open_store
from tests.receiver.clients import call_grpc, post_http
from tests.receiver.load import (
    SPANS_PER_REQUEST,
    GrpcLoadClient,
    HttpLoadClient,
    LoadClient,
    trace_id_of,
    trace_request,
)
from tests.receiver.serve_process import ServeProcess, free_port, process_tree, running_serve
from tests.receiver.tls import Certificate

# Trace numbers of the HTTP load client start here, the gRPC client's at 1 (each client sends
# at most tests.receiver.load.MAX_REQUESTS requests per cycle).
_HTTP_FIRST_TRACE = 1 << 40
ACK_TIMEOUT = 30.0
MAX_FILL_REQUESTS = 400


@dataclass
class StoredCheck:
    """What the store holds of the acknowledged traces."""

    acked: int
    stored_traces: int
    stored_spans: int
    missing: list[str] = field(default_factory=list)  # acknowledged but not stored whole
    problems: list[str] = field(default_factory=list)  # integrity check, partial traces


def check_stored(store_url: str, acked: list[int]) -> StoredCheck:
    """Every acknowledged trace stored whole once; every stored trace whole (a request is one
    transaction); the database's own check and the span counts agree."""
    store = open_store(store_url)
    try:
        counts = store.counts()
        missing = []
        for number in acked:
            trace = store.get_trace(trace_id_of(number))
            if trace is None or trace.span_count != SPANS_PER_REQUEST:
                missing.append(trace_id_of(number))
        problems = store.integrity_problems()
        if counts.spans != counts.traces * SPANS_PER_REQUEST:
            problems.append(f"{counts.spans} spans in {counts.traces} traces: some are partial")
        return StoredCheck(len(acked), counts.traces, counts.spans, missing, problems)
    finally:
        store.close()


@dataclass
class KillReport:
    cycles: int
    acked: list[int]
    failed_attempts: int  # requests that got no answer (the kills landed mid-request)
    # Requests in flight at a kill that were committed all the same: their re-send must
    # be stored once.
    committed_unanswered: int
    check: StoredCheck
    seconds: float


def _stored(store_url: str, numbers: list[int]) -> int:
    store = open_store(store_url)
    try:
        return sum(store.get_trace(trace_id_of(n)) is not None for n in numbers)
    finally:
        store.close()


def _serve_args(store_url: str, grpc_port: int, http_port: int) -> list[str]:
    return ["--grpc", f"127.0.0.1:{grpc_port}", "--http", f"127.0.0.1:{http_port}",
            "--store", store_url]  # fmt: skip


def kill_cycles(store_url: str, cycles: int, acks_per_cycle: int = 4) -> KillReport:
    """Start the server, load it over gRPC and HTTP at once, kill -9 it mid-load; `cycles`
    times. A request unanswered at the kill is sent again in the next cycle, as exporters
    retry: committed or not, it must be stored exactly once."""
    started = time.monotonic()
    grpc_port, http_port = free_port(), free_port()
    next_trace = {"grpc": 1, "http": _HTTP_FIRST_TRACE}
    acked: list[int] = []
    failed = 0
    committed_unanswered = 0
    for cycle in range(cycles):
        with running_serve(*_serve_args(store_url, grpc_port, http_port)) as server:
            clients: dict[str, LoadClient] = {
                "grpc": GrpcLoadClient(grpc_port, next_trace["grpc"]),
                "http": HttpLoadClient(http_port, next_trace["http"]),
            }
            for client in clients.values():
                client.start()
            try:
                # Mid-load, at a different point each cycle.
                for client in clients.values():
                    client.wait_for_acks(acks_per_cycle + cycle % 3, ACK_TIMEOUT)
                server.kill_hard()
            finally:
                for name, client in clients.items():
                    client.finish()
                    acked.extend(client.acked)
                    failed += client.failures
                    # The request in flight at the kill (answered or not) goes again.
                    next_trace[name] = client._next
        committed_unanswered += _stored(store_url, list(next_trace.values()))
    return KillReport(cycles, acked, failed, committed_unanswered, check_stored(store_url, acked),
                      time.monotonic() - started)  # fmt: skip


@dataclass
class FillReport:
    acked: list[int]
    refused_retryable: int  # answered UNAVAILABLE / 503 while the file could not grow
    other_answers: list[str]  # anything else (must stay empty)
    stored_after_lift: int  # refused requests stored once the limit was lifted
    check: StoredCheck


def _send_once(server: ServeProcess, transport: str, body: bytes) -> str:
    """'ok', 'retryable' or what else came back."""
    if transport == "grpc":
        answer = call_grpc(server.port("gRPC"), body, timeout=30)
        if answer.code is grpc.StatusCode.OK:
            return "ok"
        retryable = answer.code is grpc.StatusCode.UNAVAILABLE
        return "retryable" if retryable else f"grpc {answer.code.name}"
    http_answer = post_http(server.port("HTTP"), body, timeout=30)
    if http_answer.status == 200:
        return "ok"
    return "retryable" if http_answer.status == 503 else f"http {http_answer.status}"


def _largest_file(folder: Path) -> int:
    return max(p.stat().st_size for p in folder.iterdir())


def fill_up_cycle(folder: Path, transport: str, headroom: int = 256 * 1024) -> FillReport:
    """SQLite in a server process whose files may not grow past their size plus `headroom`
    (RLIMIT_FSIZE, as a full disk): sends until the store is full, then lifts the limit and
    sends the refused requests again."""
    db_path = folder / "store.db"
    store_url = f"sqlite:///{db_path}"
    acked: list[int] = []
    refused: list[int] = []
    others: list[str] = []
    with running_serve(*_serve_args(store_url, free_port(), free_port())) as server:
        for number in range(1, 4):
            if _send_once(server, transport, trace_request(number)) == "ok":
                acked.append(number)
        limit = _largest_file(folder) + headroom
        # The soft limit only: lifting it again needs no privilege. On every process of the
        # server: its store writer is a child process (`serve --writer process`).
        unlimited = resource.RLIM_INFINITY
        pids = process_tree(server.proc.pid)
        for pid in pids:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, unlimited))
        for number in range(4, 4 + MAX_FILL_REQUESTS):
            outcome = _send_once(server, transport, trace_request(number))
            if outcome == "ok":
                acked.append(number)
            elif outcome == "retryable":
                refused.append(number)
                if len(refused) >= 3:
                    break
            else:
                others.append(outcome)
        for pid in pids:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (unlimited, unlimited))
        stored_after = 0
        for number in refused:
            if _send_once(server, transport, trace_request(number)) == "ok":
                acked.append(number)
                stored_after += 1
        server.terminate_and_wait(timeout=30)
    return FillReport(acked, len(refused), others, stored_after, check_stored(store_url, acked))


@dataclass
class TlsReport:
    stalled_connections: int
    exports_ok: int
    exports: int
    latencies: list[float]
    stop_seconds: float


def slow_tls_cycle(certificate: Certificate, folder: Path, stalled: int, exports: int) -> TlsReport:
    """HTTPS exports while `stalled` clients hold connections that never finish (or never
    start) the TLS handshake; then SIGTERM, which must not wait for them."""
    store_url = f"sqlite:///{folder / 'store.db'}"
    tls = ["--tls-cert", str(certificate.cert_file), "--tls-key", str(certificate.key_file)]
    args = [*_serve_args(store_url, free_port(), free_port()), *tls]
    sockets: list[socket.socket] = []
    latencies: list[float] = []
    ok = 0
    with running_serve(*args) as server:
        port = server.port("HTTP")
        try:
            for n in range(stalled):
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                if n % 2:  # half send the first bytes of a ClientHello, half send nothing
                    sock.sendall(b"\x16\x03\x01\x02\x00\x01")
                sockets.append(sock)
            context = certificate.client_context()
            for number in range(1, exports + 1):
                began = time.perf_counter()
                if _post_https(port, context, trace_request(number)) == 200:
                    ok += 1
                latencies.append(time.perf_counter() - began)
            began = time.perf_counter()
            server.terminate_and_wait(timeout=60)
            stop_seconds = time.perf_counter() - began
        finally:
            for sock in sockets:
                sock.close()
    return TlsReport(stalled, ok, exports, latencies, stop_seconds)


def _post_https(port: int, context: ssl.SSLContext, body: bytes) -> int:
    import http.client

    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    try:
        connection.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def rlimit_supported() -> bool:
    return hasattr(resource, "prlimit") and os.name == "posix"


@dataclass
class FreezeReport:
    locked_answer: str  # a write while another connection holds the traces table's lock
    locked_seconds: float
    frozen_answer: str  # a write while the server's PostgreSQL backends are SIGSTOPped
    frozen_seconds: float
    after_answer: str  # the same write once the backend runs again


def backend_pids(store_url: str) -> list[int]:
    """The PostgreSQL backends of otel-replay's connections to this database."""
    import psycopg

    name = store_url.rpartition("/")[2]
    with psycopg.connect(store_url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (name, "otel-replay"),
        ).fetchall()
    return [int(row[0]) for row in rows]


def _timed(server: ServeProcess, body: bytes) -> tuple[str, float]:
    began = time.perf_counter()
    outcome = _send_once(server, "grpc", body)
    return outcome, time.perf_counter() - began


def freeze_cycle(store_url: str) -> FreezeReport:
    """A PostgreSQL store that stops answering, as `otel-replay serve` sees it: first a lock
    held by another connection, then its own backend frozen (SIGSTOP, needs the right to signal
    the server's processes)."""
    import signal

    import psycopg

    with running_serve(*_serve_args(store_url, free_port(), free_port())) as server:
        assert _send_once(server, "grpc", trace_request(1)) == "ok"
        with psycopg.connect(store_url) as other:
            other.execute("LOCK TABLE traces IN ACCESS EXCLUSIVE MODE")
            locked, locked_seconds = _timed(server, trace_request(2))
        # Every backend of the server's processes (the receiving one's and its store
        # writer's): the writer's is the one a write waits on.
        pids = backend_pids(store_url)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            frozen, frozen_seconds = _timed(server, trace_request(3))
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        after = _send_once(server, "grpc", trace_request(3))
    return FreezeReport(locked, locked_seconds, frozen, frozen_seconds, after)
