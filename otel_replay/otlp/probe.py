"""Pure: one look at a serialised message for any of a set of byte patterns.

Redaction asks this first of every request: most hold no secret, and telling so in one
pass over the request's bytes costs far less than visiting its attributes in Python (a
GenAI span carries kilobytes of message text). With Hyperscan (a multi-pattern regex
engine, wheels for x86-64 Linux and macOS) every pattern is matched in one pass, outside
the GIL, at ~1 µs a span; elsewhere each probe is a substring search, then its regex where
the substring appears (~35 µs a span).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

try:
    import hyperscan

    HAVE_HYPERSCAN = True
except ImportError:  # pragma: no cover - a platform without Hyperscan wheels
    HAVE_HYPERSCAN = False


@dataclass(frozen=True)
class Probe:
    """Fires where `hint` (lowercase) appears in the lowercased bytes and `pattern`, when
    given, matches them (`caseless`) or the bytes as they are."""

    hint: bytes
    pattern: bytes | None = None
    caseless: bool = True


class _StdlibProbes:
    def __init__(self, probes: Sequence[Probe]) -> None:
        self._probes = [
            (p.hint, None if p.pattern is None else re.compile(p.pattern), p.caseless)
            for p in probes
        ]

    def search_all(self, parts: Sequence[bytes]) -> bool:
        return self.search(b"".join(parts))

    def search(self, raw: bytes) -> bool:
        lowered = raw.lower()
        # A plain loop: generator expressions cost more than the searches themselves.
        for hint, pattern, caseless in self._probes:
            if hint in lowered and (
                pattern is None or pattern.search(lowered if caseless else raw) is not None
            ):
                return True
        return False


def _stop(*_: object) -> bool:
    return True  # the first match answers the question


def _compile(probes: Sequence[Probe], mode: int) -> hyperscan.Database:
    database = hyperscan.Database(mode=mode)
    database.compile(
        expressions=[p.pattern if p.pattern is not None else re.escape(p.hint) for p in probes],
        ids=list(range(len(probes))),
        elements=len(probes),
        flags=[
            hyperscan.HS_FLAG_SINGLEMATCH
            | (hyperscan.HS_FLAG_CASELESS if p.caseless or p.pattern is None else 0)
            for p in probes
        ],
    )
    return database


class _HyperscanProbes:
    def __init__(self, probes: Sequence[Probe]) -> None:
        self._block = _compile(probes, hyperscan.HS_MODE_BLOCK)
        # Vectored: many buffers scanned as if joined, without joining them.
        self._vectored = _compile(probes, hyperscan.HS_MODE_VECTORED)
        # A scan runs without the GIL: each thread needs scratch space of its own.
        self._local = threading.local()

    def _scan(self, database: hyperscan.Database, data: Any) -> bool:
        scratches = getattr(self._local, "scratches", None)
        if scratches is None:
            scratches = self._local.scratches = {}
        scratch = scratches.get(id(database))
        if scratch is None:
            scratch = scratches[id(database)] = hyperscan.Scratch(database)
        try:
            database.scan(data, match_event_handler=_stop, scratch=scratch)
        except hyperscan.ScanTerminated:
            return True
        return False

    def search(self, raw: bytes) -> bool:
        return self._scan(self._block, raw)

    def search_all(self, parts: Sequence[bytes]) -> bool:
        return bool(parts) and self._scan(self._vectored, list(parts))


class BytesProbe:
    """Whether any probe fires in a byte string; thread-safe."""

    def __init__(self, probes: Sequence[Probe], *, use_hyperscan: bool = HAVE_HYPERSCAN) -> None:
        self.engine = "hyperscan" if use_hyperscan else "stdlib"
        self._impl = _HyperscanProbes(probes) if use_hyperscan else _StdlibProbes(probes)

    def search(self, raw: bytes) -> bool:
        return self._impl.search(raw)

    def search_all(self, parts: Sequence[bytes]) -> bool:
        """`search` of the parts joined (a match may span two of them)."""
        return self._impl.search_all(parts)
