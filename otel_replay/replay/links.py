"""Pure: link each replayed LLM and tool span to the original span it corresponds to.

Same turn, same kind, same order; tool spans by matched call id, else by name and order.
Links are added to the protobuf spans before they are stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.core.records import Span
from otel_replay.scenario.model import ScenarioTurn
from otel_replay.semconv.attributes import GenAI, OpenInference, Vercel
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.keys import REPLAY_LINK_TYPE_KEY, REPLAY_LLM_SOURCE, REPLAY_OF
from otel_replay.semconv.model import SpanRole

LINK_TYPE_KEY = REPLAY_LINK_TYPE_KEY


def has_replay_link(span: Span) -> bool:
    return any(link.attributes.get(LINK_TYPE_KEY) == REPLAY_OF for link in span.links)


def turn_of_span(
    span: Span, by_id: Mapping[str, Span], turn_span_ids: Mapping[str, int]
) -> int | None:
    """The index of the replayed turn whose span is an ancestor of `span` (or is it)."""
    current: Span | None = span
    seen = 0
    while current is not None and seen < 10_000:
        if current.span_id in turn_span_ids:
            return turn_span_ids[current.span_id]
        current = by_id.get(current.parent_span_id) if current.parent_span_id else None
        seen += 1
    return None


def leaf_spans(spans: Sequence[Span], role: SpanRole, roles: Mapping[str, SpanRole]) -> list[Span]:
    """Spans of a role with no descendant of the same role (wrappers are not model calls)."""
    by_id = {s.span_id: s for s in spans}
    has_same_role_child: set[str] = set()
    for span in spans:
        if roles[span.span_id] is not role:
            continue
        parent = by_id.get(span.parent_span_id)
        while parent is not None:
            if roles[parent.span_id] is role:
                has_same_role_child.add(parent.span_id)
            parent = by_id.get(parent.parent_span_id)
    chosen = [s for s in spans if roles[s.span_id] is role and s.span_id not in has_same_role_child]
    return sorted(chosen, key=lambda s: (s.start_time_unix_nano, s.span_id))


def _tool_name(span: Span) -> str:
    for key in (GenAI.TOOL_NAME, OpenInference.TOOL_NAME, Vercel.TOOL_CALL_NAME):
        value = span.attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return span.name.removeprefix("execute_tool ").strip()


def _spans_by_turn(
    spans: Sequence[Span], turn_span_ids: Mapping[str, int]
) -> tuple[dict[str, SpanRole], dict[int, list[Span]]]:
    """Every span's role, and the spans under each turn span (turn spans excluded)."""
    by_id = {s.span_id: s for s in spans}
    roles = {s.span_id: classify_span(s) for s in spans}
    per_turn: dict[int, list[Span]] = {}
    for span in spans:
        index = turn_of_span(span, by_id, turn_span_ids)
        if index is not None and span.span_id not in turn_span_ids:
            per_turn.setdefault(index, []).append(span)
    return roles, per_turn


def plan_links(
    spans: Sequence[Span], turn_span_ids: Mapping[str, int], turns: Mapping[int, ScenarioTurn]
) -> dict[str, tuple[str, str]]:
    """replayed span id -> (original trace id, original span id) for LLM and tool spans."""
    roles, per_turn = _spans_by_turn(spans, turn_span_ids)
    planned: dict[str, tuple[str, str]] = {}
    for index, turn_spans in per_turn.items():
        original = turns[index]
        for span, call in zip(
            leaf_spans(turn_spans, SpanRole.LLM, roles), original.llm_calls, strict=False
        ):
            planned[span.span_id] = (call.trace_id, call.span_id)
        used: set[int] = set()
        for span in leaf_spans(turn_spans, SpanRole.TOOL, roles):
            if has_replay_link(span):
                continue
            call_id = span.attributes.get(GenAI.TOOL_CALL_ID)
            name = _tool_name(span)
            match = next(
                (
                    i
                    for i, t in enumerate(original.tool_calls)
                    if i not in used and call_id and t.call_id == call_id
                ),
                None,
            )
            if match is None:
                match = next(
                    (
                        i
                        for i, t in enumerate(original.tool_calls)
                        if i not in used and t.name == name
                    ),
                    None,
                )
            if match is not None and original.tool_calls[match].span_id:
                used.add(match)
                tool = original.tool_calls[match]
                planned[span.span_id] = (tool.trace_id, tool.span_id or "")
    return planned


def add_links(
    request: trace_service_pb2.ExportTraceServiceRequest, planned: Mapping[str, tuple[str, str]]
) -> int:
    """Add the planned `replay_of` links to the protobuf spans; returns how many were added."""
    added = 0
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for pb2_span in scope_spans.spans:
                target = planned.get(pb2_span.span_id.hex())
                if target is None:
                    continue
                link: trace_pb2.Span.Link = pb2_span.links.add(
                    trace_id=bytes.fromhex(target[0]), span_id=bytes.fromhex(target[1])
                )
                attribute = link.attributes.add(key=LINK_TYPE_KEY)
                attribute.value.string_value = REPLAY_OF
                added += 1
    return added


def plan_llm_sources(
    spans: Sequence[Span],
    turn_span_ids: Mapping[str, int],
    sources: Callable[[int], Sequence[str]],
) -> dict[str, str]:
    """replayed model-call span id -> where its answer came from (the model stand-in's log
    for the turn, in call order). A turn whose leaf model spans and logged answers differ in
    number is left unmarked rather than marked wrongly."""
    roles, per_turn = _spans_by_turn(spans, turn_span_ids)
    planned: dict[str, str] = {}
    for index, turn_spans in per_turn.items():
        leaves = leaf_spans(turn_spans, SpanRole.LLM, roles)
        answered = sources(index)
        if leaves and len(leaves) == len(answered):
            planned.update(
                (span.span_id, source) for span, source in zip(leaves, answered, strict=True)
            )
    return planned


def mark_llm_sources(
    request: trace_service_pb2.ExportTraceServiceRequest, planned: Mapping[str, str]
) -> None:
    """Set `otel_replay.llm.source` on the planned protobuf spans."""
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for pb2_span in scope_spans.spans:
                source = planned.get(pb2_span.span_id.hex())
                if source is not None:
                    pb2_span.attributes.add(key=REPLAY_LLM_SOURCE).value.string_value = source
