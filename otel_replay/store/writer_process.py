"""Committing span and log batches from a process of its own (`serve`'s default).

The receiver builds rows under the GIL; the writer binds them and waits on SQLite with the
GIL released once per row. In one process the two take turns: measured with bench/ingest.py,
the writer waited for the GIL about a third of its time. `WriterProcess` runs the store's
`write` in a child (`python -m otel_replay.store.writer_process`) with a GIL of its own, so
building the next requests' rows and committing the last ones use both cores.

Each `write` pickles the batches' rows (plain tuples) into the child's stdin and waits for
its answer on the child's stdout: it returns only once the child committed, and raises
what the store raised, by kind: StoreUnavailableError (retryable), StoreRejectedError (the
data's fault) or StoreWriteError (unknown, named by its class only). A child that exits or
stops answering makes the store unavailable to that write; the next write starts a new one.
The child ends when its stdin closes, so it never outlives the receiver.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from otel_replay.core.errors import StoreUnavailableError
from otel_replay.semconv.identity import Identity, Ranked
from otel_replay.store.base import RunRecord
from otel_replay.store.dialect import DialectName, StoreRejectedError, parse_store_url
from otel_replay.store.rows import LogBatch, LogRow, ScopeRow, SpanBatch, SpanRow

_HEADER_BYTES = 8
_PIPE_BUFFER = 1 << 16
# Longer than any write the store lets run (its PostgreSQL watchdog ends one after 8 s).
DEFAULT_REPLY_SECONDS = 60.0
_START_SECONDS = 60.0

_new_tuple = tuple.__new__


class StoreWriteError(Exception):
    """The child's store raised an error of neither known kind (named by its class only)."""


# The wire form of one write: messages of about _ROWS_PER_MESSAGE rows each, the last one
# marked to commit. A message is a list of batch parts: ("spans" | "logs", first part of its
# batch?, scopes, identities, rows), scopes and identities in a batch's first part only.
# Everything travels as plain tuples (a named tuple pickles and unpickles through its Python
# constructor) and is rebuilt as row types in the child; what was rejected stays with the
# receiver, which answers for it. A message is pickled whole, without a memo (the data has
# no cycles; bench/ingest.py rows: 3.0 -> 1.7 us a span to pickle, 3.4 -> 2.0 to unpickle),
# and written with the GIL released (pickling into the pipe frame by frame took the GIL back
# for every frame: two thirds of the throughput); its size bounds that second copy of the
# rows, and the child reads it frame by frame.
_ROWS_PER_MESSAGE = 4096

_Plain = tuple[Any, ...]
_PlainIdentities = dict[str, tuple[_Plain | None, _Plain | None]]
_Part = tuple[str, bool, list[_Plain], _PlainIdentities, list[_Plain]]


def _plain_identities(identities: dict[str, Identity]) -> _PlainIdentities:
    return {
        trace_id: (
            None if session is None else tuple(session),
            None if user is None else tuple(user),
        )
        for trace_id, (session, user) in identities.items()
    }


def _identities(plain: _PlainIdentities) -> dict[str, Identity]:
    return {
        trace_id: _new_tuple(
            Identity,
            (
                None if session is None else _new_tuple(Ranked, session),
                None if user is None else _new_tuple(Ranked, user),
            ),
        )
        for trace_id, (session, user) in plain.items()
    }


def _messages(
    span_batches: Sequence[SpanBatch], log_batches: Sequence[LogBatch]
) -> Iterator[tuple[list[_Part], bool]]:
    """(parts, commit?) messages of one write."""
    batches: list[tuple[str, Sequence[Any], Sequence[Any], dict[str, Identity]]] = [
        ("spans", batch.scopes, batch.spans, batch.identities) for batch in span_batches
    ]
    batches += [("logs", batch.scopes, batch.logs, {}) for batch in log_batches]
    parts: list[_Part] = []
    size = 0
    for kind, scopes, rows, identities in batches:
        first_scopes = [tuple(s) for s in scopes]
        first_identities = _plain_identities(identities)
        for start in range(0, max(len(rows), 1), _ROWS_PER_MESSAGE):
            chunk = [tuple(r) for r in rows[start : start + _ROWS_PER_MESSAGE]]
            first = start == 0
            parts.append(
                (kind, first, first_scopes if first else [], first_identities if first else {},
                 chunk)
            )  # fmt: skip
            size += len(chunk)
            if size >= _ROWS_PER_MESSAGE:
                yield parts, False
                parts, size = [], 0
    yield parts, True


def _pickled(message: object) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: nothing in a message refers to itself
    pickler.dump(message)
    return buffer.getvalue()


class _Received:
    """The batches of one write, as its messages arrive in the child."""

    def __init__(self) -> None:
        self.spans: list[SpanBatch] = []
        self.logs: list[LogBatch] = []

    def add(self, parts: list[_Part]) -> None:
        for kind, first, scopes, identities, rows in parts:
            if kind == "spans":
                if first:
                    scope_rows = [_new_tuple(ScopeRow, s) for s in scopes]
                    self.spans.append(SpanBatch(scope_rows, [], _identities(identities)))
                self.spans[-1].spans += [_new_tuple(SpanRow, r) for r in rows]
            else:
                if first:
                    self.logs.append(LogBatch([_new_tuple(ScopeRow, s) for s in scopes]))
                self.logs[-1].logs += [_new_tuple(LogRow, r) for r in rows]


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
    return _read_exactly(stream, int.from_bytes(_read_exactly(stream, _HEADER_BYTES), "big"))


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    stdin: IO[bytes]
    stdout: IO[bytes]

    def send(self, span_batches: Sequence[SpanBatch], log_batches: Sequence[LogBatch]) -> None:
        for message in _messages(span_batches, log_batches):
            self.stdin.write(_pickled(message))
        self.stdin.flush()

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


def _child_environment() -> dict[str, str]:
    """This environment, with the folder this package was imported from first on the path:
    the child runs the code the receiver runs (a checkout, not another installed copy)."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, path] if path else [root])}


def can_write_apart(store_url: str) -> bool:
    """False for an in-memory SQLite store, which another process cannot reach, and where
    pipes cannot be waited on with `select` (not POSIX)."""
    url = parse_store_url(store_url)
    reachable = url.dialect is DialectName.POSTGRESQL or url.target != ":memory:"
    return reachable and os.name == "posix"


class WriterProcess:
    """The write side of a `SpanStore`, committed by a child process; thread-safe."""

    def __init__(self, store_url: str, reply_seconds: float = DEFAULT_REPLY_SECONDS) -> None:
        self._store_url = store_url
        self._reply_seconds = reply_seconds
        self._lock = threading.Lock()
        self._closed = False
        self.url = str(parse_store_url(store_url))  # as the child's store names it, below
        self._child: _Child | None = self._start()

    def _start(self) -> _Child:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_replay.store.writer_process", self._store_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
            env=_child_environment(),
        )
        assert process.stdin is not None and process.stdout is not None
        # Requests go through a buffer (it writes all of each pickle frame to the pipe);
        # answers are read raw (`select` sees every byte not yet read).
        requests = io.BufferedWriter(cast(io.RawIOBase, process.stdin), _PIPE_BUFFER)
        child = _Child(process, requests, process.stdout)
        try:
            kind, text = child.receive(_START_SECONDS)
        except (EOFError, OSError, TimeoutError, pickle.UnpicklingError) as exc:
            child.end(1.0)
            raise StoreUnavailableError("the store writer process did not start") from exc
        if kind != "ready":
            child.end(1.0)
            raise StoreUnavailableError(text)
        self.url = text
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
        with self._lock:
            if self._closed:
                raise StoreUnavailableError("the store writer is closed")
            if self._child is None:
                self._child = self._start()
            child = self._child
            try:
                child.send(span_batches, log_batches)
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
        received = _Received()
        while True:
            parts, commit = pickle.load(requests)  # EOFError once the receiver closes stdin
            received.add(parts)
            if not commit:
                continue
            try:
                store.write(received.spans, received.logs)
            except StoreUnavailableError as exc:
                _reply(out, "unavailable", str(exc))
            except StoreRejectedError as exc:
                _reply(out, "rejected", exc.reason)
            except Exception as exc:  # its message may quote span data: named by class only
                _reply(out, "error", type(exc).__name__)
            else:
                _reply(out, "ok", "")
            received = _Received()
    except (EOFError, BrokenPipeError):
        return  # the receiver is gone
    finally:
        store.close()


def main(argv: Sequence[str]) -> None:
    """The child: stop signals are the receiver's to handle (it closes our stdin when it
    stops); stdout carries answers only, so anything printed goes to stderr."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    answers = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with (
        open(answers, "wb") as out,
        open(sys.stdin.fileno(), "rb", buffering=_PIPE_BUFFER, closefd=False) as requests,
    ):
        _serve_writes(argv[0], requests, out)


if __name__ == "__main__":
    main(sys.argv[1:])
