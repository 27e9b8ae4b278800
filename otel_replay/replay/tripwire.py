"""Pure: recorded tools that ran for real during a replay, read from the captured spans.

A sealed tool never runs, and its span comes from our `tool` wrapper, which marks where the
answer came from (`otel_replay.tool.source`: recorded, live, or unmatched when it refused).
A wrapper span without that mark ran outside any replay (in an agent service that never
asked the replay's playback endpoint): the tool really ran. Any other tool
execution span (in any convention) that names a tool the recording called, and that was not
named live, is a tool that really ran: the replay may have repeated a side effect.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from otel_replay.core.records import Span
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.keys import REPLAY_TOOL_SOURCE, REPLAY_TOOL_TRACER_NAME
from otel_replay.semconv.model import SpanRole
from otel_replay.semconv.normalise import tool_facts


def _ancestor_ids(span: Span, by_id: Mapping[str, Span]) -> list[str]:
    """The span's ancestors' ids, nearest first; the walk is bounded by the spans present."""
    found: list[str] = []
    parent_id = span.parent_span_id
    while parent_id in by_id and len(found) < len(by_id):
        found.append(parent_id)
        parent_id = by_id[parent_id].parent_span_id
    return found


def _sealed_wrapper(span: Span) -> bool:
    return span.scope.name == REPLAY_TOOL_TRACER_NAME and span.attributes.get(
        REPLAY_TOOL_SOURCE
    ) in ("recorded", "live", "unmatched")


def find_unsealed_tool_runs(
    spans: Sequence[Span],
    turn_span_ids: Mapping[str, int],
    recorded_tools: Collection[str],
    live_tools: Collection[str],
) -> dict[int, list[str]]:
    """By turn index, the recorded tools that ran for real under that turn's span, in order.

    A foreign tool span around one of our wrapper's spans of the same tool (a framework
    running a decorated tool) did not run it: the wrapper inside answered from the recording.
    """
    by_id = {span.span_id: span for span in spans}
    tool_names = {
        span.span_id: tool_facts(span).name
        for span in spans
        if classify_span(span) is SpanRole.TOOL
    }
    wrapping_sealed: set[tuple[str, str | None]] = set()
    for span in spans:
        if _sealed_wrapper(span) and span.span_id in tool_names:
            name = tool_names[span.span_id]
            wrapping_sealed.update((a, name) for a in _ancestor_ids(span, by_id))
    ran: dict[int, list[str]] = {}
    for span in sorted(spans, key=lambda s: s.start_time_unix_nano):
        name = tool_names.get(span.span_id)
        if (
            name is None
            or _sealed_wrapper(span)
            or name not in recorded_tools
            or name in live_tools
            or (span.span_id, name) in wrapping_sealed
        ):
            continue
        turn = next(
            (turn_span_ids[a] for a in _ancestor_ids(span, by_id) if a in turn_span_ids), None
        )
        if turn is not None and name not in ran.setdefault(turn, []):
            ran[turn].append(name)
    return ran


def describe_unsealed_tool_run(turn_index: int, tool_name: str) -> str:
    """The turn error for a recorded tool that ran for real (`turn_index` is 0-based)."""
    return (
        f"turn {turn_index + 1}: tool {tool_name} ran for real during the replay: "
        "it is neither sealed nor in --live-tools"
    )
