"""Pure: the spans of one or more traces -> one tree per trace, with span roles and joined logs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from otel_replay.core.records import LogRecord, Span
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.model import SpanRole


def _start_order(span: Span) -> tuple[int, int, str]:
    return (span.start_time_unix_nano, span.end_time_unix_nano, span.span_id)


@dataclass(frozen=True)
class TraceTree:
    """One trace: spans in start order, parent links, roles, and the log records per span."""

    trace_id: str
    spans: tuple[Span, ...]
    children: Mapping[str, tuple[Span, ...]]
    # Spans without a parent, and orphans whose parent never arrived; start order.
    roots: tuple[Span, ...]
    roles: Mapping[str, SpanRole]
    logs: Mapping[str, tuple[LogRecord, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    by_id: Mapping[str, Span] = field(default_factory=dict)

    @property
    def start_unix_nano(self) -> int:
        """The root's start (the earliest parentless span), else the earliest span's."""
        parentless = [s.start_time_unix_nano for s in self.spans if not s.parent_span_id]
        if parentless:
            return min(parentless)
        return min((s.start_time_unix_nano for s in self.spans), default=0)

    def role(self, span: Span) -> SpanRole:
        return self.roles.get(span.span_id, SpanRole.UNKNOWN)

    def subtree(self, span: Span) -> list[Span]:
        """The span and all its descendants, in start order."""
        found: list[Span] = []
        stack = [span]
        seen: set[str] = set()
        while stack:
            current = stack.pop()
            if current.span_id in seen:
                continue
            seen.add(current.span_id)
            found.append(current)
            stack.extend(self.children.get(current.span_id, ()))
        return sorted(found, key=_start_order)

    @cached_property
    def root_ids(self) -> frozenset[str]:
        return frozenset(root.span_id for root in self.roots)

    def ancestors(self, span: Span) -> list[Span]:
        """Parent first, up to the span's root (orphans and cut cycles are roots)."""
        root_ids = self.root_ids
        chain: list[Span] = []
        seen = {span.span_id}
        current = span
        while current.span_id not in root_ids and current.parent_span_id in self.by_id:
            current = self.by_id[current.parent_span_id]
            if current.span_id in seen:
                break
            seen.add(current.span_id)
            chain.append(current)
        return chain

    def logs_for(self, span: Span) -> tuple[LogRecord, ...]:
        return self.logs.get(span.span_id, ())


def index_logs(logs: Iterable[LogRecord]) -> dict[tuple[str, str], list[LogRecord]]:
    """Log records by (trace id, span id); records without both ids are left out."""
    indexed: dict[tuple[str, str], list[LogRecord]] = defaultdict(list)
    for log in logs:
        if log.trace_id and log.span_id:
            indexed[(log.trace_id, log.span_id)].append(log)
    return indexed


def build_trace_trees(spans: Iterable[Span], logs: Sequence[LogRecord] = ()) -> list[TraceTree]:
    """One tree per trace id, ordered by root start time (earliest span if no root)."""
    by_trace: dict[str, dict[str, Span]] = defaultdict(dict)
    duplicates: dict[str, int] = defaultdict(int)
    for span in spans:
        trace = by_trace[span.trace_id]
        if span.span_id in trace:
            duplicates[span.trace_id] += 1
            continue
        trace[span.span_id] = span
    logs_index = index_logs(logs)
    trees = [
        _build_tree(trace_id, by_id, logs_index, duplicates.get(trace_id, 0))
        for trace_id, by_id in by_trace.items()
    ]
    return sorted(trees, key=lambda t: (t.start_unix_nano, t.trace_id))


def _break_cycles(ordered: list[Span], children: dict[str, list[Span]], roots: list[Span]) -> int:
    """Spans on a parent-link cycle are reachable from no root: the earliest becomes one."""
    reachable: set[str] = set()

    def mark(span: Span) -> None:
        stack = [span]
        while stack:
            current = stack.pop()
            if current.span_id not in reachable:
                reachable.add(current.span_id)
                stack.extend(children.get(current.span_id, ()))

    for root in roots:
        mark(root)
    cycles = 0
    for span in ordered:
        if span.span_id not in reachable:
            cycles += 1
            parent_children = children.get(span.parent_span_id, [])
            if span in parent_children:
                parent_children.remove(span)
            roots.append(span)
            mark(span)
    roots.sort(key=_start_order)
    return cycles


def _build_tree(
    trace_id: str,
    by_id: dict[str, Span],
    logs_index: Mapping[tuple[str, str], list[LogRecord]],
    duplicates: int,
) -> TraceTree:
    ordered = sorted(by_id.values(), key=_start_order)
    children: dict[str, list[Span]] = defaultdict(list)
    roots: list[Span] = []
    orphans = 0
    for span in ordered:
        parent = span.parent_span_id
        if parent and parent in by_id and parent != span.span_id:
            children[parent].append(span)
        else:
            roots.append(span)
            if parent:
                orphans += 1
    notes: list[str] = []
    cycles = _break_cycles(ordered, children, roots)
    if cycles:
        notes.append(
            f"trace {trace_id}: parent links form {cycles} cycle(s); cut at the earliest span"
        )
    if not any(not s.parent_span_id for s in ordered):
        notes.append(f"trace {trace_id} has no root span; ordered by its earliest span")
    if orphans:
        notes.append(f"trace {trace_id}: {orphans} span(s) whose parent never arrived")
    if duplicates:
        notes.append(f"trace {trace_id}: {duplicates} duplicate span(s) ignored")
    logs = {
        span_id: tuple(logs_index[(trace_id, span_id)])
        for span_id in by_id
        if (trace_id, span_id) in logs_index
    }
    return TraceTree(
        trace_id=trace_id,
        spans=tuple(ordered),
        children={k: tuple(v) for k, v in children.items()},
        roots=tuple(roots),
        roles={span.span_id: classify_span(span) for span in ordered},
        logs=logs,
        notes=tuple(notes),
        by_id=dict(by_id),
    )
