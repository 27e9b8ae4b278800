"""The result of a span-tree diff: data only, renderers live in `report/`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from otel_replay.core.records import AnyValue, Span
from otel_replay.diff.span_keys import SpanKey


class DiffStatus(StrEnum):
    """How one node of the aligned trees compares."""

    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class MatchBasis(StrEnum):
    """Why an original span and a replay span were paired."""

    LINK = "link"  # the replay span links to the original with otel_replay.link.type=replay_of
    KEY = "key"  # equal keys, in sibling order
    REORDERED = "reordered"  # equal keys, but the siblings between them moved
    PARTIAL_KEY = "partial_key"  # first key component equal, in the same gap of the alignment


@dataclass(frozen=True)
class AttributeChange:
    """One attribute that differs; an absent attribute reads as None."""

    key: str
    before: AnyValue
    after: AnyValue


@dataclass(frozen=True)
class Delta:
    """An integer measure before (original) and after (replay)."""

    before: int
    after: int

    @property
    def absolute(self) -> int:
        return self.after - self.before

    @property
    def percent(self) -> float | None:
        """Change relative to `before`, in percent; None when `before` is 0 and `after` is not."""
        if self.before == 0:
            return 0.0 if self.after == 0 else None
        return (self.after - self.before) * 100 / self.before


@dataclass(frozen=True)
class DiffNode:
    """One original span, one replay span, or a matched pair, with its aligned children.

    `status` describes this span only; its children carry their own. `key` is the replay
    span's key when there is a replay span, else the original's. Deltas are set for matched
    pairs only, and token deltas only when both spans report that count.
    """

    status: DiffStatus
    key: SpanKey
    original: Span | None
    replay: Span | None
    matched_by: MatchBasis | None
    attribute_changes: tuple[AttributeChange, ...]
    output_changes: tuple[AttributeChange, ...]
    duration: Delta | None
    input_tokens: Delta | None
    output_tokens: Delta | None
    children: tuple[DiffNode, ...]


@dataclass(frozen=True)
class DiffSummary:
    """How many nodes have each status."""

    same: int
    added: int
    removed: int
    changed: int

    @property
    def total(self) -> int:
        return self.same + self.added + self.removed + self.changed

    @property
    def is_identical(self) -> bool:
        return self.added == self.removed == self.changed == 0

    def count_of(self, status: DiffStatus) -> int:
        return {
            DiffStatus.SAME: self.same,
            DiffStatus.ADDED: self.added,
            DiffStatus.REMOVED: self.removed,
            DiffStatus.CHANGED: self.changed,
        }[status]


@dataclass(frozen=True)
class DiffStep:
    """A node met while walking the diff, with the nodes above it (root first)."""

    ancestors: tuple[DiffNode, ...]
    node: DiffNode

    @property
    def depth(self) -> int:
        return len(self.ancestors)

    @property
    def path(self) -> tuple[SpanKey, ...]:
        """The keys from the root down to this node, inclusive."""
        return (*(ancestor.key for ancestor in self.ancestors), self.node.key)


@dataclass(frozen=True)
class SpanTreeDiff:
    """Two span forests aligned into one forest of `DiffNode`s."""

    roots: tuple[DiffNode, ...]
    summary: DiffSummary

    def walk(self) -> Iterator[DiffStep]:
        """Every node, depth first, parents before children, siblings in aligned order."""
        stack: list[tuple[tuple[DiffNode, ...], DiffNode]] = [
            ((), root) for root in reversed(self.roots)
        ]
        while stack:
            ancestors, node = stack.pop()
            yield DiffStep(ancestors, node)
            below = (*ancestors, node)
            stack.extend((below, child) for child in reversed(node.children))
