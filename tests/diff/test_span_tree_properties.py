from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from otel_replay.diff.span_tree import DiffStatus, diff_span_trees, name_key
from otel_replay.records import AnyValue, Span
from tests.builders import make_span

NAMES = ("turn", "chat", "search", "fetch")


@st.composite
def span_forests(draw: st.DrawFn, trace: int = 1) -> list[Span]:
    """Up to 30 spans in one or two traces; some parents never arrive (orphans)."""
    count = draw(st.integers(0, 30))
    spans: list[Span] = []
    for index in range(count):
        span_id = index + 1
        parent: int | None = None
        if index and draw(st.booleans()):
            # An earlier span, or one that never arrives.
            parent = draw(st.sampled_from([*range(1, span_id), 1000 + index]))
        name = draw(st.sampled_from(NAMES))
        attributes: dict[str, AnyValue] = {}
        if name in ("search", "fetch"):
            attributes = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": name,
                "gen_ai.tool.call.arguments": draw(st.sampled_from(['{"q":1}', '{"q":2}'])),
            }
        elif name == "chat":
            attributes = {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": draw(st.sampled_from(["m1", "m2"])),
                "gen_ai.output.messages": draw(st.sampled_from(["yes", "no"])),
            }
        spans.append(
            make_span(
                trace + draw(st.integers(0, 1)) * 100,
                span_id,
                parent,
                name=name,
                start=draw(st.integers(0, 5)),
                attributes=attributes,
            )
        )
    return spans


def count_appearances(spans: list[Span | None]) -> Counter[int]:
    return Counter(id(span) for span in spans if span is not None)


@given(span_forests())
def test_forest_diffed_against_itself_is_all_same(forest: list[Span]) -> None:
    diff = diff_span_trees(forest, forest)

    assert {step.node.status for step in diff.walk()} <= {DiffStatus.SAME}
    assert diff.summary.same == len(forest)
    assert [step.node.original for step in diff.walk()] == [
        step.node.replay for step in diff.walk()
    ]


@given(span_forests(), st.randoms(use_true_random=False))
def test_forest_is_same_as_its_shuffled_copy_in_another_trace(
    forest: list[Span], rng: random.Random
) -> None:
    copy = [replace(span, trace_id="f" + span.trace_id[1:]) for span in forest]
    rng.shuffle(copy)

    diff = diff_span_trees(forest, copy)

    assert diff.summary.same == len(forest)
    assert diff.summary.is_identical


@given(span_forests(trace=1), span_forests(trace=2), st.booleans())
def test_every_span_appears_exactly_once_on_its_side(
    original: list[Span], replay: list[Span], by_name: bool
) -> None:
    diff = (
        diff_span_trees(original, replay, key=name_key)
        if by_name
        else diff_span_trees(original, replay)
    )
    nodes = [step.node for step in diff.walk()]

    originals = count_appearances([node.original for node in nodes])
    replays = count_appearances([node.replay for node in nodes])
    assert originals == Counter(id(span) for span in original)
    assert replays == Counter(id(span) for span in replay)
    for node in nodes:
        assert (node.original is None) == (node.status is DiffStatus.ADDED)
        assert (node.replay is None) == (node.status is DiffStatus.REMOVED)
    summary = diff.summary
    assert summary.same + summary.changed + summary.removed == len(original)
    assert summary.same + summary.changed + summary.added == len(replay)
    assert summary.total == len(nodes)


@given(span_forests(trace=1), span_forests(trace=2))
def test_matched_children_have_matched_parents(original: list[Span], replay: list[Span]) -> None:
    diff = diff_span_trees(original, replay)

    for step in diff.walk():
        if step.ancestors and step.node.original and step.node.replay:
            parent = step.ancestors[-1]
            assert parent.original is not None and parent.replay is not None
            assert step.node.original.parent_span_id == parent.original.span_id
            assert step.node.replay.parent_span_id == parent.replay.span_id
