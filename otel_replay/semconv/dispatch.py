"""Which conventions can have written a span: a normaliser asks only the readers whose keys,
scope or events the span has, worked out once per kind of span (`Readers`).

A reader's `Reads` names where it looks. The span is skipped only when the reader could find
nothing there, so the merged facts are the same as when every reader is asked (the property
tests in tests/semconv/test_dispatch.py check this against the ungated tables).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

from otel_replay.core.records import Attributes, LogRecord, Span
from otel_replay.semconv.genai import ContentEvent, content_events

T = TypeVar("T")


def namespace(key: str) -> str:
    """The text before a key's first dot (`gen_ai` of `gen_ai.request.model`)."""
    return key.partition(".")[0]


@dataclass(frozen=True)
class Reads:
    """Where a reader looks; it is asked when the span has any of these."""

    # Namespaces (see `namespace`) of which any key will do.
    namespaces: frozenset[str] = frozenset()
    keys: tuple[str, ...] = ()
    # Key prefixes in a namespace other conventions share (flattened `gen_ai.prompt.{i}`).
    prefixes: tuple[str, ...] = ()
    # Instrumentation scope names, by prefix.
    scopes: tuple[str, ...] = ()
    # The span's events or its joined log records.
    events: bool = False
    # Anything else that makes the span the convention's (a span name, say); asked per span.
    when: Callable[[Span], bool] | None = None
    every_span: bool = False

    @cached_property
    def prefix_namespaces(self) -> frozenset[str]:
        return frozenset(namespace(prefix) for prefix in self.prefixes)


def reads(
    *namespaces: str,
    keys: Sequence[str] = (),
    prefixes: Sequence[str] = (),
    scopes: Sequence[str] = (),
    events: bool = False,
    when: Callable[[Span], bool] | None = None,
) -> Reads:
    """A `Reads`: the namespaces given, and the keys, prefixes, scopes, events or test named."""
    return Reads(frozenset(namespaces), tuple(keys), tuple(prefixes), tuple(scopes), events, when)


EVERY_SPAN = Reads(every_span=True)


class SpanView:
    """One span (and its joined log records) as the readers see it; its content events are
    worked out once, however many readers ask."""

    __slots__ = ("_events", "attributes", "logs", "span")

    def __init__(self, span: Span, logs: Sequence[LogRecord] = ()) -> None:
        self.span = span
        self.attributes: Attributes = span.attributes
        self.logs = logs
        self._events: list[ContentEvent] | None = None

    @property
    def events(self) -> list[ContentEvent]:
        """The span's events and its log records, in time order (`genai.content_events`)."""
        if self._events is None:
            self._events = content_events(self.span, self.logs)
        return self._events

    def signature(self) -> tuple[tuple[str, ...], str, bool]:
        """All that `Reads` looks at but a `when` test: attribute keys, scope, events."""
        return (tuple(self.attributes), self.span.scope.name, bool(self.span.events or self.logs))


def _may_read(where: Reads, view: SpanView, namespaces: set[str]) -> bool:
    """Whether the span has the keys, scope or events the reader looks at (not its `when`)."""
    if where.every_span or not namespaces.isdisjoint(where.namespaces):
        return True
    attributes = view.attributes
    if any(key in attributes for key in where.keys):
        return True
    if (
        where.prefixes
        and not namespaces.isdisjoint(where.prefix_namespaces)
        and any(key.startswith(where.prefixes) for key in attributes)
    ):
        return True
    if where.scopes and view.span.scope.name.startswith(where.scopes):
        return True
    return where.events and bool(view.span.events or view.logs)


@dataclass(frozen=True)
class Reader(Generic[T]):
    """One convention's reader of one kind of fact, and where it looks."""

    where: Reads
    read: Callable[[SpanView], T]


# (reader, whether the span's keys, scope or events already call for it); a reader that
# only its `when` could call for is in the plan with False.
_Plan = tuple[tuple[Reader[T], bool], ...]


class Readers(Generic[T]):
    """The readers of one kind of fact, in resolution order.

    The spans of one producer share their attribute keys, so which readers a span calls for
    is worked out once per key set, scope and events-or-not, and kept (a bounded number of
    plans); `when` tests still run per span, as they may look at anything."""

    _MAX_PLANS = 4096

    def __init__(self, *readers: Reader[T]) -> None:
        self.readers = readers
        self._plans: dict[tuple[tuple[str, ...], str, bool], _Plan[T]] = {}

    def read(self, view: SpanView) -> list[T]:
        """What the readers that can find anything on the span say, in order."""
        signature = view.signature()
        plan = self._plans.get(signature)
        if plan is None:
            plan = self._plan(view)
            if len(self._plans) >= self._MAX_PLANS:
                self._plans.clear()
            self._plans[signature] = plan
        return [
            reader.read(view)
            for reader, called in plan
            if called or (reader.where.when is not None and reader.where.when(view.span))
        ]

    def read_all(self, view: SpanView) -> list[T]:
        """What every reader says, called for or not (what `read` must equal, merged)."""
        return [reader.read(view) for reader in self.readers]

    def _plan(self, view: SpanView) -> _Plan[T]:
        namespaces = {namespace(key) for key in view.attributes}
        plan = []
        for reader in self.readers:
            called = _may_read(reader.where, view, namespaces)
            if called or reader.where.when is not None:
                plan.append((reader, called))
        return tuple(plan)
