"""Committing span and log batches from a process of its own (`serve`'s default).

The receiver builds rows under the GIL; the writer binds them and waits on SQLite with the
GIL released once per row. In one process the two take turns: measured with bench/ingest.py,
the writer waited for the GIL about a third of its time. `WriterProcess` runs the store's
`write` in a child (`python -m otel_replay.store.writer_process`) with a GIL of its own, so
building the next requests' rows and committing the last ones use both cores.

Each `write` sends the batches' rows (plain tuples, pickled) on the child's stdin and waits
for its answer on the child's stdout: it returns only once the child committed, and raises
what the store raised, by kind: StoreUnavailableError (retryable), StoreRejectedError (the
data's fault) or StoreWriteError (unknown, named by its class only). A child that exits or
stops answering makes the store unavailable to that write; the next write starts a new one.
The child ends when its stdin closes, so it never outlives the receiver.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import IO, Any

from otel_replay.core.errors import StoreUnavailableError
from otel_replay.store.base import RunRecord
from otel_replay.store.dialect import DialectName, StoreRejectedError, parse_store_url
from otel_replay.store.rows import LogBatch, LogRow, ScopeRow, SpanBatch, SpanRow

_HEADER_BYTES = 8
# Longer than any write the store lets run (its PostgreSQL watchdog ends one after 8 s).
DEFAULT_REPLY_SECONDS = 60.0
_START_SECONDS = 60.0

_new_tuple = tuple.__new__


class StoreWriteError(Exception):
    """The child's store raised an error of neither known kind (named by its class only)."""


# The wire form of a batch: its rows as plain tuples (a named tuple pickles through its
# Python constructor, several times slower), rebuilt as row types in the child; what was
# rejected stays with the receiver, which answers for it.
_Packed = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], dict[str, Any]]


def _pack_spans(batch: SpanBatch) -> _Packed:
    return ([tuple(s) for s in batch.scopes], [tuple(s) for s in batch.spans], batch.identities)


def _pack_logs(batch: LogBatch) -> _Packed:
    return ([tuple(s) for s in batch.scopes], [tuple(r) for r in batch.logs], {})


def _unpack_spans(packed: _Packed) -> SpanBatch:
    scopes, spans, identities = packed
    rows = [_new_tuple(SpanRow, s) for s in spans]
    return SpanBatch([_new_tuple(ScopeRow, s) for s in scopes], rows, identities)


def _unpack_logs(packed: _Packed) -> LogBatch:
    scopes, logs, _ = packed
    rows = [_new_tuple(LogRow, r) for r in logs]
    return LogBatch([_new_tuple(ScopeRow, s) for s in scopes], rows)


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(_HEADER_BYTES, "big") + payload


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """`size` bytes (a pipe read may return fewer); EOFError when the stream ends first."""
    parts: list[bytes] = []
    left = size
    while left:
        data = stream.read(left)
        if not data:
            raise EOFError("stream closed")
        parts.append(data)
        left -= len(data)
    return b"".join(parts)


def _read_frame(stream: IO[bytes]) -> bytes:
    size = int.from_bytes(_read_exactly(stream, _HEADER_BYTES), "big")
    return _read_exactly(stream, size) if size else b""


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    stdin: IO[bytes]
    stdout: IO[bytes]

    def send(self, payload: bytes) -> None:
        view = memoryview(_frame(payload))
        while view:  # an unbuffered pipe write may take part of it
            view = view[self.stdin.write(view) or 0 :]

    def receive(self, timeout: float) -> tuple[str, str]:
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        kind, text = pickle.loads(_read_frame(self.stdout))
        return str(kind), str(text)

    def end(self, timeout: float) -> None:
        """Close its stdin (it finishes its write and exits); kill it if it does not."""
        with suppress(OSError):
            self.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stdout.close()


def can_write_apart(store_url: str) -> bool:
    """False for an in-memory SQLite store, which another process cannot reach."""
    url = parse_store_url(store_url)
    return url.dialect is DialectName.POSTGRESQL or url.target != ":memory:"


class WriterProcess:
    """The write side of a `SpanStore`, committed by a child process; thread-safe."""

    def __init__(self, store_url: str, reply_seconds: float = DEFAULT_REPLY_SECONDS) -> None:
        self._store_url = store_url
        self._reply_seconds = reply_seconds
        self._lock = threading.Lock()
        self._closed = False
        self._child: _Child | None = self._start()
        self.url = self._url

    def _start(self) -> _Child:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_replay.store.writer_process", self._store_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,  # raw pipes: `select` sees every byte not yet read
            close_fds=True,
        )
        assert process.stdin is not None and process.stdout is not None
        child = _Child(process, process.stdin, process.stdout)
        try:
            kind, text = child.receive(_START_SECONDS)
        except (EOFError, OSError, TimeoutError, pickle.UnpicklingError) as exc:
            child.end(1.0)
            raise StoreUnavailableError("the store writer process did not start") from exc
        if kind != "ready":
            child.end(1.0)
            raise StoreUnavailableError(text)
        self._url = text
        return child

    def write(
        self,
        span_batches: Sequence[SpanBatch],
        log_batches: Sequence[LogBatch] = (),
        runs: Sequence[RunRecord] = (),
    ) -> None:
        """Commit the batches in one transaction of the child's store."""
        if runs:
            raise ValueError("the writer process stores spans and log records only")
        payload = pickle.dumps(
            ([_pack_spans(b) for b in span_batches], [_pack_logs(b) for b in log_batches]),
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        with self._lock:
            if self._closed:
                raise StoreUnavailableError("the store writer is closed")
            if self._child is None:
                self._child = self._start()
            child = self._child
            try:
                child.send(payload)
                kind, text = child.receive(self._reply_seconds)
            except (EOFError, OSError, TimeoutError, pickle.UnpicklingError) as exc:
                # Gone or stuck: whether it committed is unknown, so the sender retries (a
                # re-sent span is stored once). A new child serves the next write.
                self._child = None
                child.end(0.0)
                raise StoreUnavailableError(
                    f"store {self.url} unavailable: the writer process stopped answering"
                ) from exc
        if kind == "ok":
            return
        if kind == "unavailable":
            raise StoreUnavailableError(text)
        if kind == "rejected":
            raise StoreRejectedError(text)
        raise StoreWriteError(f"the store's write failed ({text})")

    def close(self) -> None:
        """Let the child finish its write and exit."""
        with self._lock:
            self._closed = True
            child, self._child = self._child, None
        if child is not None:
            child.end(self._reply_seconds)


def _reply(out: IO[bytes], kind: str, text: str) -> None:
    out.write(_frame(pickle.dumps((kind, text))))
    out.flush()


def _serve_writes(store_url: str, requests: IO[bytes], out: IO[bytes]) -> None:
    from otel_replay.store.sql import open_store

    try:
        store = open_store(store_url)
    except Exception as exc:  # the receiver opened it just before: only a race lands here
        _reply(out, "error", f"cannot open the store: {type(exc).__name__}")
        return
    try:
        _reply(out, "ready", store.url)
        while True:
            payload = _read_frame(requests)
            if not payload:
                return
            spans, logs = pickle.loads(payload)
            try:
                store.write([_unpack_spans(p) for p in spans], [_unpack_logs(p) for p in logs])
            except StoreUnavailableError as exc:
                _reply(out, "unavailable", str(exc))
            except StoreRejectedError as exc:
                _reply(out, "rejected", exc.reason)
            except Exception as exc:  # its message may quote span data: named by class only
                _reply(out, "error", type(exc).__name__)
            else:
                _reply(out, "ok", "")
    except (EOFError, BrokenPipeError):
        return  # the receiver is gone
    finally:
        store.close()


def main(argv: Sequence[str]) -> None:
    """The child: stop signals are the receiver's to handle (it closes our stdin when it
    stops); stdout carries answers only, so anything printed goes to stderr."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve_writes(argv[0], sys.stdin.buffer, out)


if __name__ == "__main__":
    main(sys.argv[1:])
