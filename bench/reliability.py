"""Overload figures of `otel-replay serve` (a subprocess): what it keeps doing when pushed past
capacity, and what memory it holds under large concurrent uploads. Prints figures, asserts
nothing.

    python bench/reliability.py [--phase-seconds 15] [--store URL] [--only grpc|large|http]

grpc:  closed-loop OTLP/gRPC clients sending 512-span requests (bench/ingest.py's GenAI-like
       spans) for a fixed time each: 1, 2 and 4 clients find the peak acknowledged rate, then
       12 clients (three times the 4 that saturate it) show what overload leaves of it.
large: 8 clients sending requests of about 40,000 spans each (several MB apiece).
http:  32 clients each POST one ~30 MiB OTLP/HTTP protobuf body at once; the peak
       RSS (VmHWM) of each server process and their sum, and how many were stored or told to
       retry.

Clients retry UNAVAILABLE / 503 after the receiver's RetryInfo / Retry-After delay, as the
official exporters do. Every phase is bounded in time; traffic stays on 127.0.0.1.
--server-path DIR runs the server from another checkout of otel_replay (for before/after).

Faults (the full counts of tests/reliability/, whose cycles they share):
kill:   kill -9 cycles of the server under one gRPC and one HTTP load client, on SQLite
        (--kill-cycles) and PostgreSQL (--pg-kill-cycles): acknowledged traces lost, traces
        stored partially, integrity problems.
fill:   SQLite whose files may not grow (RLIMIT_FSIZE on the server): answers while full, and
        what is stored once the limit is lifted.
freeze: PostgreSQL holding a lock, then a SIGSTOPped backend: what the sender is told, and when.
tls:    HTTPS exports while clients hold TLS handshakes open; how long SIGTERM takes.
PostgreSQL phases need --postgres ADMIN_URL (or OTEL_REPLAY_TEST_POSTGRES_URL): each run gets a
new database, dropped after.
"""

from __future__ import annotations

import argparse
import http.client
import os
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
from pathlib import Path

import grpc
import ingest
from ingest import SPANS_PER_REQUEST, TRACES_METHOD, build_requests

# The fault cycles live with the tests that run a few of them in CI.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.receiver.tls import make_certificate
from tests.reliability import cycles

READY_TIMEOUT = 60.0
RETRY_DELAY = 1.0  # what the receiver's RetryInfo and Retry-After ask for
LARGE_REQUEST_PARTS = 78  # 78 x 512 = 39,936 spans in one request
HTTP_UPLOADS = 32
HTTP_UPLOAD_MIB = 30
SERVE_ARGS: list[str] = []  # --serve-arg


@dataclass
class Server(ingest.Server):
    """The server's process, its gRPC port (`port`) and its HTTP port."""

    http_port: int = 0

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/task"))


def _server_command(server_path: str | None) -> list[str]:
    if server_path is None:
        return [sys.executable, "-m", "otel_replay"]
    # An editable install's import hook would win over PYTHONPATH: drop it, then run the
    # package found in `server_path`.
    code = (
        "import runpy, sys; "
        "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
        f"sys.path.insert(0, {server_path!r}); "
        "runpy.run_module('otel_replay', run_name='__main__')"
    )
    return [sys.executable, "-c", code]


@contextmanager
def running_server(store_url: str, server_path: str | None) -> Iterator[Server]:
    proc = subprocess.Popen(
        [
            *_server_command(server_path),
            "serve", "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0", "--store", store_url,
            *SERVE_ARGS,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        ready: list[str] = []
        stdout = proc.stdout
        reader = threading.Thread(target=lambda: ready.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(READY_TIMEOUT)
        match = re.search(r"OTLP/gRPC on 127\.0\.0\.1:(\d+).*127\.0\.0\.1:(\d+)", "".join(ready))
        if match is None:
            raise SystemExit(f"serve did not start: {ready!r}")
        yield Server(proc, int(match.group(1)), proc.pid, int(match.group(2)))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            for line in proc.stdout.read().splitlines():
                if line.startswith("otel-replay stopped"):
                    print(f"    server: {line}")
            proc.stdout.close()


@dataclass
class Tally:
    acked_spans: int = 0
    acked_requests: int = 0
    refused: int = 0  # answered retryable
    failed: int = 0  # any other answer or error
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _grpc_phase(
    port: int, bodies: list[bytes], spans_per_body: int, clients: int, seconds: float
) -> tuple[Tally, float]:
    """Closed loop for `seconds`: each client sends the next body once the last is answered
    (retrying a refused one after the delay). Returns the tally and the measured time."""
    tally = Tally()
    stop_at = time.perf_counter() + seconds
    cursor = iter(range(10**9))
    cursor_lock = threading.Lock()

    def client() -> None:
        options = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            export = channel.unary_unary(
                TRACES_METHOD, request_serializer=None, response_deserializer=None
            )
            while time.perf_counter() < stop_at:
                with cursor_lock:
                    body = bodies[next(cursor) % len(bodies)]
                while time.perf_counter() < stop_at:
                    began = time.perf_counter()
                    try:
                        export(body, timeout=max(1.0, stop_at - began + 30))
                    except grpc.RpcError as error:
                        code = error.code()  # type: ignore[attr-defined]
                        with tally.lock:
                            if code is grpc.StatusCode.UNAVAILABLE:
                                tally.refused += 1
                            else:
                                tally.failed += 1
                        if code is not grpc.StatusCode.UNAVAILABLE:
                            break
                        time.sleep(RETRY_DELAY)
                        continue
                    done = time.perf_counter()
                    if done <= stop_at:  # only what was acknowledged within the phase
                        with tally.lock:
                            tally.acked_spans += spans_per_body
                            tally.acked_requests += 1
                            tally.latencies.append(done - began)
                    break

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return tally, min(time.perf_counter(), stop_at) - started


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _print_phase(label: str, tally: Tally, elapsed: float) -> float:
    rate = tally.acked_spans / elapsed
    print(
        f"  {label}: {rate:,.0f} spans/s acknowledged ({tally.acked_requests} requests), "
        f"latency p50 {_percentile(tally.latencies, 0.5) * 1000:.0f} ms "
        f"p99 {_percentile(tally.latencies, 0.99) * 1000:.0f} ms; "
        f"refused (retryable) {tally.refused}, failed {tally.failed}"
    )
    return rate


def run_grpc(store_url: str, server_path: str | None, seconds: float) -> None:
    requests = build_requests(400 * SPANS_PER_REQUEST, seed=1)
    print(f"grpc: {SPANS_PER_REQUEST}-span requests, closed loop, {seconds:.0f} s per phase")
    with running_server(store_url, server_path) as server:
        rates = {}
        for clients in (1, 2, 4):
            tally, elapsed = _grpc_phase(
                server.port, requests.bodies, SPANS_PER_REQUEST, clients, seconds
            )
            rates[clients] = _print_phase(f"{clients:2d} clients", tally, elapsed)
        peak = max(rates.values())
        tally, elapsed = _grpc_phase(server.port, requests.bodies, SPANS_PER_REQUEST, 12, seconds)
        overload = _print_phase("12 clients", tally, elapsed)
        print(
            f"  at 3x the 4 clients that saturate it: {overload / peak:.0%} of the peak "
            f"({peak:,.0f} spans/s); server peak RSS {server.peak_rss_text()}"
        )


def run_large(store_url: str, server_path: str | None, seconds: float) -> None:
    requests = build_requests(8 * LARGE_REQUEST_PARTS * SPANS_PER_REQUEST, seed=2)
    parts = requests.bodies
    # Serialised protobuf messages concatenate into one whose repeated fields hold both.
    bodies = [
        b"".join(parts[i : i + LARGE_REQUEST_PARTS])
        for i in range(0, len(parts), LARGE_REQUEST_PARTS)
    ]
    spans = LARGE_REQUEST_PARTS * SPANS_PER_REQUEST
    mib = sum(map(len, bodies)) / len(bodies) / 2**20
    print(f"large: 8 clients, {spans:,}-span requests ({mib:.1f} MiB each), {seconds:.0f} s")
    with running_server(store_url, server_path) as server:
        tally, elapsed = _grpc_phase(server.port, bodies, spans, 8, seconds)
        _print_phase("8 clients", tally, elapsed)
        print(f"  server peak RSS {server.peak_rss_text()}")


def _upload(port: int, body: bytes, deadline: float) -> str:
    """POST until stored or the deadline; 'stored', 'retried-then-stored', or what failed."""
    retried = False
    while time.perf_counter() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            connection.request(
                "POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"}
            )
            response = connection.getresponse()
            response.read()
        except OSError as exc:
            return f"error {type(exc).__name__}"
        finally:
            connection.close()
        if response.status == 200:
            return "retried-then-stored" if retried else "stored"
        if response.status != 503:
            return f"status {response.status}"
        retried = True
        time.sleep(float(response.getheader("Retry-After", RETRY_DELAY)))
    return "gave up at the deadline"


def run_http(store_url: str, server_path: str | None, seconds: float) -> None:
    requests = build_requests(1600 * SPANS_PER_REQUEST, seed=3)
    per_upload = []
    size = 0
    for part in requests.bodies:
        per_upload.append(part)
        size += len(part)
        if size >= HTTP_UPLOAD_MIB * 2**20:
            break
    body = b"".join(per_upload)
    spans = len(per_upload) * SPANS_PER_REQUEST
    print(
        f"http: {HTTP_UPLOADS} concurrent uploads of {len(body) / 2**20:.1f} MiB "
        f"({spans:,} spans) each, retried on 503 for up to {seconds * 12:.0f} s"
    )
    with running_server(store_url, server_path) as server:
        rss_before = sum(server.peak_rss_mib())
        deadline = time.perf_counter() + seconds * 12
        outcomes: list[str] = []
        lock = threading.Lock()
        most_threads = 0

        def upload() -> None:
            outcome = _upload(server.http_port, body, deadline)
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=upload, daemon=True) for _ in range(HTTP_UPLOADS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads) and time.perf_counter() < deadline + 130:
            most_threads = max(most_threads, server.threads())
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        counts = {o: outcomes.count(o) for o in sorted(set(outcomes))}
        print(
            f"  server peak RSS {server.peak_rss_text()} (idle {rss_before:.0f} MiB), "
            f"at most {most_threads} server threads; outcomes {counts}; {elapsed:.1f} s"
        )


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server of `admin_url`, dropped after."""
    import uuid

    import psycopg

    name = f"otel_replay_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _print_kill(label: str, report: cycles.KillReport) -> None:
    check = report.check
    print(
        f"  {label}: {report.cycles} kill -9 cycles in {report.seconds:.0f} s; "
        f"{len(report.acked)} requests ({len(report.acked) * cycles.SPANS_PER_REQUEST:,} spans) "
        f"acknowledged, {report.failed_attempts} sends unanswered (retried); "
        f"{report.committed_unanswered} in flight at a kill were committed unanswered and "
        f"re-sent; lost {len(check.missing)}, stored {check.stored_traces} traces for "
        f"{len(report.acked)} acknowledged (each once), problems {check.problems or 'none'}"
    )


def run_kill(folder: str, postgres: str | None, sqlite_cycles: int, pg_cycles: int) -> None:
    print("kill: one gRPC and one HTTP load client, the server killed mid-load each cycle")
    url = f"sqlite:///{os.path.join(folder, 'kill.db')}"
    _print_kill("SQLite", cycles.kill_cycles(url, sqlite_cycles))
    if postgres:
        with postgres_database(postgres) as pg_url:
            _print_kill("PostgreSQL", cycles.kill_cycles(pg_url, pg_cycles))


def run_fill(folder: str) -> None:
    print("fill: SQLite files limited to their size + 256 KiB (RLIMIT_FSIZE), then unlimited")
    for transport in ("grpc", "http"):
        with tempfile.TemporaryDirectory(dir=folder) as sub:
            report = cycles.fill_up_cycle(Path(sub), transport)
        print(
            f"  {transport}: {report.refused_retryable} answered retryable while full, "
            f"other answers {report.other_answers or 'none'}; after the limit was lifted "
            f"{report.stored_after_lift} of them stored; lost {len(report.check.missing)}, "
            f"problems {report.check.problems or 'none'}"
        )


def run_freeze(postgres: str | None) -> None:
    if not postgres:
        print("freeze: skipped (no --postgres)")
        return
    with postgres_database(postgres) as pg_url:
        report = cycles.freeze_cycle(pg_url)
    print(
        "freeze: PostgreSQL that stops answering, default timeouts\n"
        f"  lock held elsewhere: {report.locked_answer} after {report.locked_seconds:.1f} s\n"
        f"  backend SIGSTOPped: {report.frozen_answer} after {report.frozen_seconds:.1f} s; "
        f"once it runs again: {report.after_answer}"
    )


def run_tls(folder: str, stalled: int) -> None:
    with tempfile.TemporaryDirectory(dir=folder) as sub:
        report = cycles.slow_tls_cycle(make_certificate(Path(sub)), Path(sub), stalled, 50)
    print(
        f"tls: {report.stalled_connections} connections holding TLS handshakes open; "
        f"{report.exports_ok}/{report.exports} HTTPS exports stored, latency p50 "
        f"{_percentile(report.latencies, 0.5) * 1000:.0f} ms p99 "
        f"{_percentile(report.latencies, 0.99) * 1000:.0f} ms; "
        f"SIGTERM took {report.stop_seconds:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase-seconds", type=float, default=15.0)
    parser.add_argument("--store", default=None, help="store URL (default: fresh SQLite files)")
    parser.add_argument(
        "--only",
        choices=["grpc", "large", "http", "kill", "fill", "freeze", "tls"],
        default=None,
    )
    parser.add_argument("--kill-cycles", type=int, default=25, help="on SQLite")
    parser.add_argument("--pg-kill-cycles", type=int, default=12)
    parser.add_argument(
        "--stalled-tls",
        type=int,
        default=32,
        help="stalled TLS clients (64 fill --max-connections)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("OTEL_REPLAY_TEST_POSTGRES_URL"),
        help="admin URL of a PostgreSQL server for the PostgreSQL fault phases",
    )
    parser.add_argument("--server-path", default=None, help="run otel_replay from this folder")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="pass to serve (e.g. --serve-arg=--redact --serve-arg=off)",
    )
    args = parser.parse_args()
    SERVE_ARGS.extend(args.serve_arg)
    if args.serve_arg:
        print(f"serve {' '.join(args.serve_arg)}")
    if args.server_path:
        print(f"server from {args.server_path}")
    runs = {"grpc": run_grpc, "large": run_large, "http": run_http}
    with tempfile.TemporaryDirectory(prefix="otel-replay-reliability-") as folder:
        for name, run in runs.items():
            if args.only in (None, name):
                url = args.store or f"sqlite:///{os.path.join(folder, name + '.db')}"
                run(url, args.server_path, args.phase_seconds)
        faults = {
            "kill": lambda: run_kill(folder, args.postgres, args.kill_cycles, args.pg_kill_cycles),
            "fill": lambda: run_fill(folder),
            "freeze": lambda: run_freeze(args.postgres),
            "tls": lambda: run_tls(folder, args.stalled_tls),
        }
        for name, fault in faults.items():
            if args.only in (None, name):
                fault()


if __name__ == "__main__":
    main()
