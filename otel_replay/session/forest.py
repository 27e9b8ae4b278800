"""Pure: spans -> a forest of span nodes (children ordered by start time)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from otel_replay.records import Span


@dataclass
class SpanNode:
    span: Span
    children: list[SpanNode] = field(default_factory=list)
    orphan: bool = False  # its parent is named but never arrived

    def walk(self, depth: int = 0) -> Iterator[tuple[int, SpanNode]]:
        """Depth-first, pre-order: (depth, node)."""
        stack: list[tuple[int, SpanNode]] = [(depth, self)]
        while stack:
            level, node = stack.pop()
            yield level, node
            stack.extend((level + 1, child) for child in reversed(node.children))


def _start_key(node: SpanNode) -> tuple[int, str]:
    return (node.span.start_time_unix_nano, node.span.span_id)


def build_span_forest(spans: Sequence[Span]) -> list[SpanNode]:
    """Link spans to their parents; a span whose parent never arrived becomes a root."""
    nodes = {(s.trace_id, s.span_id): SpanNode(s) for s in spans}
    roots: list[SpanNode] = []
    for node in nodes.values():
        span = node.span
        parent = nodes.get((span.trace_id, span.parent_span_id)) if span.parent_span_id else None
        if parent is None or parent is node:
            node.orphan = bool(span.parent_span_id)
            roots.append(node)
        else:
            parent.children.append(node)
    for node in nodes.values():
        node.children.sort(key=_start_key)
    roots.sort(key=_start_key)
    return roots
