"""Pure: what the replayed agent did in one turn, read from its captured spans.

The turn span's subtree is reconstructed with the same normalisers as recorded sessions,
so original and replay are described by one model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from otel_replay.core.records import Span
from otel_replay.semconv.model import Turn
from otel_replay.session.turns import build_turns


def observe_turn(turn_span_id: str, spans: Sequence[Span]) -> Turn | None:
    """The turn rooted at `turn_span_id`: its LLM calls, tool calls, usage and errors."""
    children: dict[str, list[Span]] = {}
    root: Span | None = None
    for span in spans:
        if span.span_id == turn_span_id:
            root = span
        children.setdefault(span.parent_span_id, []).append(span)
    if root is None:
        return None
    subtree = [dataclasses.replace(root, parent_span_id="")]
    stack = [root.span_id]
    while stack:
        for child in children.get(stack.pop(), []):
            subtree.append(child)
            stack.append(child.span_id)
    turns = build_turns(subtree)
    return turns[0] if turns else None
