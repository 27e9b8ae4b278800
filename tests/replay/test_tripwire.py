"""The tripwire reads captured spans: which recorded tools ran for real, in which turn."""

from __future__ import annotations

import dataclasses

from otel_replay.core.records import AnyValue, Scope, Span
from otel_replay.replay.tripwire import describe_unsealed_tool_run, find_unsealed_tool_runs
from tests.builders import make_span

GENAI_TOOL: dict[str, AnyValue] = {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": "issue_refund",
}
TURNS = {f"{2:016x}": 0, f"{3:016x}": 1}  # turn span id -> 0-based turn index
RECORDED = {"issue_refund", "check_status"}


def _ours(span: Span, source: str = "recorded") -> Span:
    """A span of our tool wrapper, marked with where its answer came from."""
    attributes = {**span.attributes, "otel_replay.tool.source": source}
    return dataclasses.replace(span, scope=Scope(name="otel_replay.tool"), attributes=attributes)


def test_a_wrapper_span_without_a_source_ran_outside_any_replay() -> None:
    unmarked = dataclasses.replace(
        make_span(1, 5, 4, name="execute_tool issue_refund", attributes=GENAI_TOOL),
        scope=Scope(name="otel_replay.tool"),
    )
    refused = _ours(
        make_span(1, 6, 2, name="execute_tool issue_refund", attributes=GENAI_TOOL), "unmatched"
    )
    found = find_unsealed_tool_runs(_spans(unmarked, refused), TURNS, RECORDED, ())
    assert found == {1: ["issue_refund"]}


def _spans(*tools: Span) -> list[Span]:
    root = make_span(1, 1, name="otel_replay.replay s")
    turns = [make_span(1, 2, 1, name="otel_replay.turn 1"), make_span(1, 3, 1, name="t 2")]
    agent = make_span(1, 4, 3, name="invoke_agent support")
    return [root, *turns, agent, *tools]


def test_a_foreign_tool_span_deep_in_a_turn_is_a_real_run_of_that_turn() -> None:
    spans = _spans(make_span(1, 5, 4, name="execute_tool issue_refund", attributes=GENAI_TOOL))
    assert find_unsealed_tool_runs(spans, TURNS, RECORDED, ()) == {1: ["issue_refund"]}


def test_any_convention_names_the_tool_and_repeated_runs_are_named_once() -> None:
    openinference: dict[str, AnyValue] = {
        "openinference.span.kind": "TOOL",
        "tool.name": "check_status",
    }
    spans = _spans(
        make_span(1, 5, 2, name="check_status", attributes=openinference),
        make_span(1, 6, 2, name="check_status", start=1, attributes=openinference),
        make_span(1, 7, 2, name="running tool: issue_refund", start=2),
    )
    found = find_unsealed_tool_runs(spans, TURNS, RECORDED, ())
    assert found == {0: ["check_status", "issue_refund"]}


def test_our_sealed_spans_live_tools_unrecorded_tools_and_stray_spans_are_not_real_runs() -> None:
    weather: dict[str, AnyValue] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
    }
    spans = _spans(
        _ours(make_span(1, 5, 2, name="execute_tool issue_refund", attributes=GENAI_TOOL)),
        make_span(1, 6, 3, name="execute_tool get_weather", attributes=weather),
        make_span(9, 7, None, name="execute_tool issue_refund", attributes=GENAI_TOOL),
    )
    assert find_unsealed_tool_runs(spans, TURNS, RECORDED, ()) == {}
    live = _spans(make_span(1, 5, 4, name="execute_tool issue_refund", attributes=GENAI_TOOL))
    assert find_unsealed_tool_runs(live, TURNS, RECORDED, {"issue_refund"}) == {}


def test_a_framework_span_around_our_sealed_span_of_the_same_tool_did_not_run_it() -> None:
    framework = make_span(1, 5, 4, name="execute_tool issue_refund", attributes=GENAI_TOOL)
    sealed = _ours(make_span(1, 6, 5, name="execute_tool issue_refund", attributes=GENAI_TOOL))
    other: dict[str, AnyValue] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "check_status",
    }
    around_another = make_span(1, 7, 4, name="execute_tool check_status", attributes=other)
    sealed_refund = _ours(
        make_span(1, 8, 7, name="execute_tool issue_refund", attributes=GENAI_TOOL)
    )
    spans = _spans(framework, sealed, around_another, sealed_refund)
    assert find_unsealed_tool_runs(spans, TURNS, RECORDED, ()) == {1: ["check_status"]}


def test_the_message_names_the_tool_and_the_one_based_turn() -> None:
    assert describe_unsealed_tool_run(1, "issue_refund") == (
        "turn 2: tool issue_refund ran for real during the replay: "
        "it is neither sealed nor in --live-tools"
    )
