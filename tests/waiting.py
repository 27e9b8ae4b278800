"""Waiting for something another thread or process makes happen, never for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_SECONDS = 0.01


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds.

    Bounded twice: by the clock and by the number of polls, so a stalled clock cannot hang it.
    """
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / POLL_SECONDS) + 1):
        if condition():
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    assert condition(), f"timed out after {timeout} s waiting until {what}"
