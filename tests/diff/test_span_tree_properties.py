from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from otel_replay.core.records import AnyValue, Scope, Span
from otel_replay.diff.span_tree import (
    REPLAY_SCAFFOLDING_SCOPE,
    DiffStatus,
    MatchBasis,
    diff_span_trees,
    name_key,
)
from tests.builders import make_span
from tests.diff.trees import link_to

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


@given(span_forests(trace=1), span_forests(trace=2), st.data())
def test_links_and_scaffolding_keep_every_other_span_exactly_once(
    original: list[Span], replay: list[Span], data: st.DataObject
) -> None:
    scaffolding = Scope(name=REPLAY_SCAFFOLDING_SCOPE)
    dressed: list[Span] = []
    for span in replay:
        if data.draw(st.integers(0, 4)) == 0:
            span = replace(span, scope=scaffolding)
        if original:
            for target in data.draw(st.lists(st.sampled_from(original), max_size=2)):
                span = link_to(span, target)
        dressed.append(span)

    diff = diff_span_trees(original, dressed)
    nodes = [step.node for step in diff.walk()]

    kept = [span for span in dressed if span.scope != scaffolding]
    assert count_appearances([node.replay for node in nodes]) == Counter(id(s) for s in kept)
    assert count_appearances([node.original for node in nodes]) == Counter(id(s) for s in original)
    by_id = {(span.trace_id, span.span_id): span for span in dressed}

    def links_to(span: Span, target: Span) -> bool:
        return (target.trace_id, target.span_id) in {
            (link.trace_id, link.span_id) for link in span.links
        }

    for node in nodes:
        if node.matched_by is MatchBasis.LINK:
            assert node.replay is not None and node.original is not None
            parent = by_id.get((node.replay.trace_id, node.replay.parent_span_id))
            inherited = (
                parent is not None
                and parent.scope == scaffolding
                and links_to(parent, node.original)
            )
            assert links_to(node.replay, node.original) or inherited
