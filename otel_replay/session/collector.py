"""The cyclic garbage collector, paused while a session is rebuilt.

Rebuilding a long session makes hundreds of thousands of objects (spans' facts, messages,
turns, graph nodes, scenario models) that all live until the rebuild returns. Each pass of
the cyclic collector walks them and frees nothing, and a full pass walks the whole process
heap: in a process that holds a large heap (a receiver, the UI, bench/sessions.py) the passes
took up to a fifth of a 500-turn rebuild. Objects freed by reference counting go as always;
cyclic garbage made meanwhile waits for the collector's next pass after the rebuild.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_active = 0  # rebuilds running now, in any thread
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector for the block (also as a decorator); it is turned back on when
    the last block running in any thread ends, and only if it was on before the first."""
    global _active, _resume
    with _LOCK:
        if _active == 0:
            _resume = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _LOCK:
            _active -= 1
            if _active == 0 and _resume:
                gc.enable()
