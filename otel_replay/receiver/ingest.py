"""The one consumer both transports hand decoded requests to, with a group-commit writer.

A request is answered only after the transaction holding its rows has committed. Requests
that arrive while a commit is in progress are committed together in the next transaction,
which keeps one fsync per group rather than per request.

A group the store refuses is written again request by request, so one bad request never fails
the others. Rows the database refuses for what they hold are found by halving the request
(a bounded number of writes) and answered as rejected items of an OTLP partial success; the
rest of the request is stored. Only a store that is down, busy or stuck is answered
retryable.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace

from otel_replay.core.errors import OverloadedError, StoreUnavailableError
from otel_replay.otlp.decode import Encoding, decode_logs_request, decode_trace_request
from otel_replay.otlp.redact import Redactor
from otel_replay.receiver.admission import DEFAULT_MAX_INFLIGHT_BYTES, ByteBudget
from otel_replay.receiver.errorlog import RateLimitedLog
from otel_replay.receiver.status import ErrorKind, classify_error
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.store.base import BatchWriter
from otel_replay.store.dialect import StoreRejectedError
from otel_replay.store.rows import LogBatch, SpanBatch, build_log_batch, build_span_batch

DEFAULT_MAX_PENDING_ITEMS = 200_000
DECODING_THREADS = 2
_MAX_GROUP_ITEMS = 20_000
# Writes spent finding the refused items of one request by halving it: enough to single out
# a few bad spans among thousands; past it, the parts still unwritten are refused whole.
_MAX_SPLIT_WRITES = 64


@dataclass(frozen=True)
class ExportResult:
    """What to tell the sender: how many items were rejected, and why."""

    rejected: int = 0
    error_message: str = ""


@dataclass(frozen=True)
class _Refused:
    """Items of one request the store refused, and the reason it gave (naming no data)."""

    count: int = 0
    reason: str = ""


_NONE_REFUSED = _Refused()


@dataclass
class _Pending:
    spans: SpanBatch | None
    logs: LogBatch | None
    size: int
    done: Future[_Refused]

    def items(self) -> Sequence[object]:
        if self.spans is not None:
            return self.spans.spans
        return self.logs.logs if self.logs is not None else ()

    def write_part(self, store: BatchWriter, part: Sequence[object]) -> None:
        """Write only these of the request's items."""
        if self.spans is not None:
            store.write([replace(self.spans, spans=list(part))], [])  # type: ignore[arg-type]
        elif self.logs is not None:
            store.write([], [replace(self.logs, logs=list(part))])  # type: ignore[arg-type]


def _combine(rejected: int, message: str, refused: _Refused, what: str) -> ExportResult:
    if not refused.count:
        return ExportResult(rejected, message)
    refusal = f"{refused.count} {what} rejected: the store refused them ({refused.reason})"
    return ExportResult(rejected + refused.count, "; ".join(filter(None, (message, refusal))))


class Ingestor:
    """Decodes export requests and commits them to the store; thread-safe."""

    def __init__(
        self,
        store: BatchWriter,
        session_keys: tuple[str, ...] = DEFAULT_SESSION_KEYS,
        max_pending_items: int = DEFAULT_MAX_PENDING_ITEMS,
        *,
        redactor: Redactor | None = None,
        max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES,
        error_log: RateLimitedLog | None = None,
    ) -> None:
        self.store = store
        self.session_keys = session_keys
        # Secrets are replaced in the decoded request, before rows are built or written.
        self.redactor = redactor if redactor is not None else Redactor()
        self.budget = ByteBudget(max_inflight_bytes)
        self.error_log = error_log if error_log is not None else RateLimitedLog()
        self.counters: Counter[str] = Counter()
        self._counter_lock = threading.Lock()
        self._max_pending = max_pending_items
        self._pending_items = 0
        self._pending_lock = threading.Lock()
        self._closed = False
        # Decoding is Python under the GIL: many request threads decoding at once only slow
        # each other and the writer down. Two at a time keeps the CPU busy while the other
        # threads wait on commits (bench/ingest.py, 4 clients: 29-32k -> 34-36k spans/s).
        self._decoding = threading.BoundedSemaphore(DECODING_THREADS)
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._writer = threading.Thread(
            target=self._write_loop, name="otel-replay-writer", daemon=True
        )
        self._writer.start()

    def count(self, name: str, amount: int = 1) -> None:
        with self._counter_lock:
            self.counters[name] += amount

    def fail(self, exc: BaseException, context: str) -> ErrorKind:
        """Count a failed request and return its kind; unknown errors are logged (rate-limited,
        without their message: it may quote span data), a store that is down is warned of."""
        kind = classify_error(exc)
        self.count(f"errors_{kind}")
        if kind is ErrorKind.INTERNAL:
            self.error_log.log_exception(exc, f"{context} failed and was dropped")
        elif kind is ErrorKind.STORE_UNAVAILABLE:
            self.error_log.log(
                logging.WARNING,
                "store unavailable",
                f"{context}: store {self.store.url} unavailable; senders are told to retry",
            )
        return kind

    def consume_traces(self, body: bytes, encoding: Encoding) -> ExportResult:
        """Decode, redact, validate and commit an ExportTraceServiceRequest body."""
        batch = self._span_batch(body, encoding)
        refused = _NONE_REFUSED
        if batch.spans:
            refused = self._commit(_Pending(batch, None, len(batch.spans), Future()))
        self.count("spans_accepted", len(batch.spans) - refused.count)
        self.count("spans_rejected", batch.rejected + refused.count)
        return _combine(batch.rejected, batch.error_message, refused, "span(s)")

    def consume_logs(self, body: bytes, encoding: Encoding) -> ExportResult:
        """Decode, redact, validate and commit an ExportLogsServiceRequest body."""
        batch = self._log_batch(body, encoding)
        refused = _NONE_REFUSED
        if batch.logs:
            refused = self._commit(_Pending(None, batch, len(batch.logs), Future()))
        self.count("log_records_accepted", len(batch.logs) - refused.count)
        self.count("log_records_rejected", batch.rejected + refused.count)
        return _combine(batch.rejected, batch.error_message, refused, "log record(s)")

    # The decoded request is freed as these return, before the rows wait for their commit.

    def _span_batch(self, body: bytes, encoding: Encoding) -> SpanBatch:
        with self._decoding:
            request = decode_trace_request(body, encoding)
            return build_span_batch(request, self.session_keys, self.redactor)

    def _log_batch(self, body: bytes, encoding: Encoding) -> LogBatch:
        with self._decoding:
            return build_log_batch(decode_logs_request(body, encoding), self.redactor)

    def consume_metrics(self, body: bytes, encoding: Encoding) -> ExportResult:
        """Accept and discard an ExportMetricsServiceRequest: SDKs export metrics by default,
        and an error answer would only fill their logs."""
        self.count("metrics_requests_discarded")
        return ExportResult()

    def _commit(self, pending: _Pending) -> _Refused:
        with self._pending_lock:
            # A request that arrives once close() has queued the writer's stop would wait
            # forever: tell its sender to retry instead.
            if self._closed:
                raise OverloadedError("receiver is shutting down")
            if self._pending_items and self._pending_items + pending.size > self._max_pending:
                raise OverloadedError(
                    f"receiver is busy ({self._pending_items} items waiting to be committed)"
                )
            self._pending_items += pending.size
            self._queue.put(pending)
        return pending.done.result()

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            size = first.size
            stop = False
            while size < _MAX_GROUP_ITEMS:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
                size += item.size
            self._write_group(group)
            with self._pending_lock:
                self._pending_items -= size
            if stop:
                return

    def _write_group(self, group: list[_Pending]) -> None:
        try:
            self.store.write([p.spans for p in group if p.spans], [p.logs for p in group if p.logs])
        except StoreUnavailableError as exc:
            self.count("store_errors")
            for p in group:
                p.done.set_exception(exc)
            return
        except Exception:
            # One bad request must not fail its neighbours: write each alone.
            for p in group:
                try:
                    refused = self._write_alone(p)
                except Exception as exc:
                    self.count("store_errors")
                    p.done.set_exception(exc)
                else:
                    p.done.set_result(refused)
            return
        for p in group:
            p.done.set_result(_NONE_REFUSED)

    def _write_alone(self, pending: _Pending) -> _Refused:
        """Write one request; when the store refuses its data, halve it until the refused items
        are found (at most _MAX_SPLIT_WRITES writes) and store the rest. A store that is
        unavailable, or an unknown error, fails the whole request."""
        parts = [pending.items()]
        refused, reason, writes = 0, "", 0
        while parts:
            part = parts.pop()
            if writes >= _MAX_SPLIT_WRITES:
                refused += len(part)
                continue
            writes += 1
            try:
                pending.write_part(self.store, part)
            except StoreRejectedError as exc:
                reason = exc.reason
                if len(part) == 1:
                    refused += 1
                else:
                    middle = len(part) // 2
                    parts += [part[middle:], part[:middle]]
        if refused:
            self.count("store_refused_items", refused)
            self.error_log.log(
                logging.WARNING,
                f"store refused {reason}",
                f"the store refused {refused} item(s) of a request ({reason}); "
                "they were answered as rejected",
            )
        return _Refused(refused, reason)

    def close(self) -> None:
        """Commit what is queued, then stop the writer; later requests are told to retry."""
        self.budget.close()
        with self._pending_lock:
            self._closed = True
            self._queue.put(None)
        self._writer.join(timeout=60)
