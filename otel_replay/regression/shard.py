"""`test --shard K/N`: split the cases across N CI jobs, the same way on every machine.

A case belongs to shard `sha256(folder name) mod N + 1`: the hash of the case folder's own
name (not its path, so it does not depend on where the checkout lives, nor on which other
cases exist), read as a big-endian integer. Every case is in exactly one shard, and adding a
case moves no other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from otel_replay.core.errors import BadInputError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`K/N` with 1 <= K <= N; BadInputError otherwise."""
        found = _SHARD.match(text)
        if found is None:
            raise BadInputError(f"--shard {text!r}: expected K/N, e.g. 1/4")
        index, count = int(found.group(1)), int(found.group(2))
        if count < 1 or not 1 <= index <= count:
            raise BadInputError(f"--shard {text!r}: K must be between 1 and N (N >= 1)")
        return cls(index, count)

    def holds(self, folder: Path) -> bool:
        """Whether the case in `folder` belongs to this shard."""
        return shard_of(folder.name, self.count) == self.index

    def select(self, folders: Sequence[Path]) -> list[Path]:
        return [f for f in folders if self.holds(f)]


def shard_of(name: str, count: int) -> int:
    """The 1-based shard of a case folder named `name`, out of `count`."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % count + 1
