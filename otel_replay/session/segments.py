"""Pure: cut a trace into turn segments.

Request/response apps: one trace is one user turn. Voice frameworks put the whole session
in one trace (docs/semconv.md section 8.11): Pipecat has one `turn` span per turn; LiveKit has a
`user_turn` followed by one or more `agent_turn`s (a reply that used a tool is split into
generations linked by `lk.parent_generation_id`).
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_replay.core.records import Span
from otel_replay.semconv.classify import is_voice_turn_role
from otel_replay.semconv.model import SpanRole
from otel_replay.semconv.voice import generation_ids
from otel_replay.session.trace_tree import TraceTree

_TEXT_ROLES = (SpanRole.AGENT, SpanRole.CHAIN, SpanRole.UNKNOWN, SpanRole.PROMPT)


@dataclass(frozen=True)
class Segment:
    """The spans of one turn, and the spans that speak for the turn as a whole."""

    anchor: Span
    spans: tuple[Span, ...]
    # In order of preference: where the user text and the final answer may be recorded.
    text_spans: tuple[Span, ...]
    voice: bool


def _depth_order(tree: TraceTree, span: Span) -> tuple[int, int]:
    return (len(tree.ancestors(span)), span.start_time_unix_nano)


def request_response_segment(tree: TraceTree) -> Segment:
    """The whole trace as one turn, spoken for by its roots, then agent/chain spans by depth."""
    anchor = next((s for s in tree.roots if not s.parent_span_id), None) or tree.roots[0]
    candidates = [s for s in tree.spans if tree.role(s) in _TEXT_ROLES]
    text_spans = list(tree.roots) + sorted(
        (s for s in candidates if s not in tree.roots), key=lambda s: _depth_order(tree, s)
    )
    return Segment(anchor, tree.spans, tuple(text_spans), voice=False)


def _group_voice_turns(tree: TraceTree, turn_spans: list[Span]) -> list[list[Span]]:
    groups: list[list[Span]] = []
    for span in turn_spans:
        role = tree.role(span)
        current = groups[-1] if groups else None
        if role is SpanRole.AGENT_TURN and current is not None:
            has_agent_turn = any(tree.role(s) is SpanRole.AGENT_TURN for s in current)
            _, parent_generation = generation_ids(span)
            if not has_agent_turn or parent_generation is not None:
                current.append(span)
                continue
        groups.append([span])
    return groups


def voice_segments(tree: TraceTree) -> list[Segment]:
    """One segment per voice turn; empty when the trace has no voice turn spans."""
    turn_spans = [
        s
        for s in tree.spans
        if is_voice_turn_role(tree.role(s))
        and not any(is_voice_turn_role(tree.role(a)) for a in tree.ancestors(s))
    ]
    segments: list[Segment] = []
    for group in _group_voice_turns(tree, turn_spans):
        members: dict[str, Span] = {}
        for span in group:
            for member in tree.subtree(span):
                members.setdefault(member.span_id, member)
        spans = sorted(members.values(), key=lambda s: (s.start_time_unix_nano, s.span_id))
        speech = [s for s in spans if tree.role(s) in (SpanRole.STT, SpanRole.TTS)]
        segments.append(Segment(group[0], tuple(spans), (*group, *speech), voice=True))
    return segments


def segment_trace(tree: TraceTree) -> list[Segment]:
    """The turns of one trace, in start order."""
    if not tree.spans:
        return []
    return voice_segments(tree) or [request_response_segment(tree)]
