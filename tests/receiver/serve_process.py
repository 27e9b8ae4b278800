"""`otel-replay serve` as a real subprocess: started, waited for, signalled, always reaped."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

READY_TIMEOUT_SECONDS = 30.0
_REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (Linux /proc): `serve` and its store writer process."""
    pids = [pid]
    for process in pids:
        with suppress(FileNotFoundError):  # a process that just ended
            for task in Path(f"/proc/{process}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
    return pids


class ServeProcess:
    """A running `python -m otel_replay serve`; stdout lines are collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "otel_replay", "serve", *args],
            cwd=_REPO,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stdout_lines: list[str] = []
        self._stderr_lines: list[str] = []
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        # Drained all along, so that a chatty stderr can never block the server on a full pipe.
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()
        self.ready_line = ""

    def wait_ready(self) -> None:
        self.ready_line = self._next_line(READY_TIMEOUT_SECONDS)

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr_lines.append(line)

    def _next_line(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from serve within {timeout}s") from None
        if line is None:
            raise AssertionError(f"serve exited early: {self.stderr_text()}")
        self.stdout_lines.append(line)
        return line

    def port(self, transport: str) -> int:
        """The port printed in the ready line for `gRPC` or `HTTP`."""
        match = re.search(rf"OTLP/{transport} on (?:https?://)?127\.0\.0\.1:(\d+)", self.ready_line)
        assert match, self.ready_line
        return int(match.group(1))

    def kill_hard(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate_and_wait(self, timeout: float) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def remaining_stdout(self) -> list[str]:
        """Every line printed after the ready line, once the process has exited."""
        self._reader.join(timeout=10)
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return self.stdout_lines[1:]
            if line is not None:
                self.stdout_lines.append(line)

    def stderr_text(self) -> str:
        """What the server wrote to stderr so far (complete once it has exited)."""
        if self.proc.poll() is not None:
            self._stderr_reader.join(timeout=10)
        return "".join(self._stderr_lines)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        self._stderr_reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def running_serve(*args: str, env: dict[str, str] | None = None) -> Iterator[ServeProcess]:
    server = ServeProcess(list(args), env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.close()
