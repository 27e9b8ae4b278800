"""Admission before work: a budget of request bytes in flight, shared by both transports.

A request is admitted, or refused as overloaded, before its body is read (HTTP, from its
Content-Length) or decoded (gRPC): a refusal costs the receiver almost nothing, so under
overload the work it does is the work it keeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from otel_replay.core.errors import OverloadedError

# A request's body costs about four times its size until it is committed (its rows, their
# copy on the way to `serve`'s writer process, that process's rows): 48 MiB keeps `serve`
# under 512 MiB in all with 32 concurrent 30 MiB uploads (bench/reliability.py --only http).
DEFAULT_MAX_INFLIGHT_BYTES = 48 * 1024 * 1024


class Ticket:
    """The bytes one request holds; `grow` asks for more (a body that decompressed larger)."""

    def __init__(self, budget: ByteBudget, size: int) -> None:
        self._budget = budget
        self.size = size

    def grow(self, size: int) -> None:
        if size > self.size:
            self._budget.take(size - self.size, held_by_caller=self.size)
            self.size = size


class ByteBudget:
    """Bytes of requests being read, decoded or committed, with a ceiling.

    The ceiling bounds the sum, except that a request alone is always admitted (one request
    of the largest allowed size must get through an idle receiver).
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES) -> None:
        self.max_bytes = max_bytes
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()
        self._closed = False

    def take(self, size: int, held_by_caller: int = 0) -> None:
        """Reserve `size` bytes or raise OverloadedError (the sender should retry)."""
        with self._lock:
            if self._closed:
                raise OverloadedError("receiver is shutting down")
            others = self.in_flight - held_by_caller
            if others > 0 and self.in_flight + size > self.max_bytes:
                raise OverloadedError(
                    f"receiver is busy ({self.in_flight} request bytes in flight, "
                    f"limit {self.max_bytes})"
                )
            self.in_flight += size
            self.peak = max(self.peak, self.in_flight)

    def refuse_if_half_taken(self) -> None:
        """Before a request of unknown size is read (gRPC does not say how large a message is
        until it is read): OverloadedError once half the budget is taken, so that large
        messages are not read only to be refused."""
        with self._lock:
            if self._closed:
                raise OverloadedError("receiver is shutting down")
            if self.in_flight > 0 and self.in_flight >= self.max_bytes // 2:
                raise OverloadedError(
                    f"receiver is busy ({self.in_flight} request bytes in flight, "
                    f"limit {self.max_bytes})"
                )

    def give_back(self, size: int) -> None:
        with self._lock:
            self.in_flight -= size

    @contextmanager
    def admit(self, size: int) -> Iterator[Ticket]:
        """Hold `size` bytes while the block runs; OverloadedError if they are not available."""
        self.take(size)
        ticket = Ticket(self, size)
        try:
            yield ticket
        finally:
            self.give_back(ticket.size)

    def close(self) -> None:
        """Refuse every later request (shutting down)."""
        with self._lock:
            self._closed = True
