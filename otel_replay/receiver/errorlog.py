"""Unknown failures go to the `otel_replay.receiver` logger, at most one record per kind per
interval: a sender retrying a request that trips a bug must not flood the log.

A record names the error's type and where it was raised (file, line, function), never the
exception's message or the request: either may hold span data, and so secrets.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

LOGGER_NAME = "otel_replay.receiver"
DEFAULT_INTERVAL_SECONDS = 60.0


@dataclass
class _Window:
    logged_at: float
    suppressed: int = 0


def describe_error(exc: BaseException) -> str:
    """The exception's type and the frames it passed, without its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.name} ({f.filename}:{f.lineno})" for f in reversed(frames[-4:]))
    return f"{type(exc).__module__}.{type(exc).__qualname__} at {where or 'unknown'}"


class RateLimitedLog:
    """Logs one record per error kind per `interval_seconds`; counts the records it held back
    and reports that count with the next record of the same kind."""

    def __init__(
        self,
        logger: logging.Logger | None = None,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger or logging.getLogger(LOGGER_NAME)
        self.interval_seconds = interval_seconds
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def log(self, level: int, kind: str, message: str) -> bool:
        """Log `message` unless `kind` was logged less than an interval ago; True if logged."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(kind)
            if window is not None and now - window.logged_at < self.interval_seconds:
                window.suppressed += 1
                return False
            suppressed = window.suppressed if window is not None else 0
            self._windows[kind] = _Window(now)
        if suppressed:
            message = (
                f"{message} ({suppressed} more like it in the last "
                f"{self.interval_seconds:g} s were not logged)"
            )
        self.logger.log(level, "%s", message)
        return True

    def log_exception(self, exc: BaseException, context: str) -> bool:
        """Log an unknown error (kind: its type and where it was raised)."""
        description = describe_error(exc)
        return self.log(logging.ERROR, description, f"{context}: {description}")
