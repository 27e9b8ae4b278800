"""Structural diff of two span forests: the original session against its replay.

Both sides become forests: orphans whose parent never arrived are roots, siblings are
ordered by start time, and the replayer's own scaffolding (its run and turn spans) is
spliced out so the agent's spans line up with the original's. Matched parents have their
children paired in four passes, each over what the earlier passes left:

1. span links: a replay span linking to an original sibling with
   `otel_replay.link.type = replay_of` is paired with it (a scaffolding span's link passes
   to its one child with the linked span's key);
2. alignment: a longest common subsequence of identical subtrees, then within the gaps of
   equal subtree shapes, then of equal keys (see `alignment`), so loops, retries and
   inserted steps line up;
3. reordering: leftover siblings with equal keys all the way down their subtrees, in
   order, anywhere in the list;
4. partial keys: within each gap the alignment left, siblings whose keys share a non-empty
   first component (with `default_key`, the operation kind), so a swapped model is a change.

Whatever remains is removed (original) or added (replay), with its whole subtree.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from otel_replay.core.records import Span
from otel_replay.diff.alignment import align_by_levels, align_sequences
from otel_replay.diff.span_changes import (
    compare_span_content,
    hash_span_content,
    measure_duration,
    measure_tokens,
)
from otel_replay.diff.span_keys import KeyFunction, SpanKey, default_key, name_key, operation_key
from otel_replay.diff.span_tree_model import (
    AttributeChange,
    Delta,
    DiffNode,
    DiffStatus,
    DiffStep,
    DiffSummary,
    MatchBasis,
    SpanTreeDiff,
)
from otel_replay.semconv.keys import REPLAY_LINK_TYPE_KEY, REPLAY_OF, REPLAY_TRACER_NAME

__all__ = [
    "REPLAY_LINK_TYPE_KEY",
    "REPLAY_OF",
    "REPLAY_SCAFFOLDING_SCOPE",
    "AttributeChange",
    "Delta",
    "DiffNode",
    "DiffStatus",
    "DiffStep",
    "DiffSummary",
    "KeyFunction",
    "MatchBasis",
    "SpanKey",
    "SpanPredicate",
    "SpanTreeDiff",
    "default_key",
    "diff_span_trees",
    "is_replay_scaffolding",
    "name_key",
    "operation_key",
]

# The instrumentation scope of the replay runner's run and turn spans.
REPLAY_SCAFFOLDING_SCOPE = REPLAY_TRACER_NAME

SpanPredicate = Callable[[Span], bool]


def is_replay_scaffolding(span: Span) -> bool:
    """Whether the replay runner made this span to frame the agent's own spans."""
    return span.scope.name == REPLAY_SCAFFOLDING_SCOPE


_NO_SPAN = -1


@dataclass(frozen=True)
class _Forest:
    spans: Sequence[Span]
    keys: list[SpanKey]
    children: list[list[int]]
    roots: list[int]
    index_of: dict[tuple[str, str], int]
    # Per span, the parent it had before scaffolding was spliced out (_NO_SPAN for none).
    raw_parents: list[int]
    scaffolding: list[bool]
    # Per span, hashes of its subtree: keys only, and keys plus compared attributes.
    shapes: list[int]
    contents: list[int]


# (original index, replay index, basis); _NO_SPAN on the side a span is missing from.
_Pairing = tuple[int, int, MatchBasis | None]


def diff_span_trees(
    original: Sequence[Span],
    replay: Sequence[Span],
    key: KeyFunction = default_key,
    *,
    is_scaffolding: SpanPredicate = is_replay_scaffolding,
) -> SpanTreeDiff:
    """Align two span forests and compare every matched pair of spans.

    `key` decides which spans count as the same step (see `span_keys`); spans for which
    `is_scaffolding` holds are spliced out of both forests, their children taking their
    place. Every other original span appears exactly once as same, changed or removed,
    every other replay span once as same, changed or added.
    """
    before = _build_forest(original, key, is_scaffolding)
    after = _build_forest(replay, key, is_scaffolding)
    links = _read_replay_links(after, before)

    # Plan top-down (a flat list, so deep trees need no recursion), then build the frozen
    # nodes bottom-up: every child is planned after its parent.
    plan: list[_Pairing] = []
    plan_children: list[list[int]] = []
    roots = _plan_pairings(_pair_siblings(before.roots, after.roots, before, after, links), plan)
    plan_children.extend([] for _ in roots)
    cursor = 0
    while cursor < len(plan):
        original_index, replay_index, _ = plan[cursor]
        if original_index != _NO_SPAN and replay_index != _NO_SPAN:
            pairings = _pair_siblings(
                before.children[original_index], after.children[replay_index], before, after, links
            )
        elif original_index != _NO_SPAN:
            pairings = [(child, _NO_SPAN, None) for child in before.children[original_index]]
        else:
            pairings = [(_NO_SPAN, child, None) for child in after.children[replay_index]]
        planned = _plan_pairings(pairings, plan)
        plan_children[cursor] = planned
        plan_children.extend([] for _ in planned)
        cursor += 1

    counts = dict.fromkeys(DiffStatus, 0)
    nodes: list[DiffNode | None] = [None] * len(plan)
    for position in range(len(plan) - 1, -1, -1):
        children = tuple(_take_node(nodes, child) for child in plan_children[position])
        node = _build_node(plan[position], before, after, children)
        counts[node.status] += 1
        nodes[position] = node
    summary = DiffSummary(
        same=counts[DiffStatus.SAME],
        added=counts[DiffStatus.ADDED],
        removed=counts[DiffStatus.REMOVED],
        changed=counts[DiffStatus.CHANGED],
    )
    return SpanTreeDiff(roots=tuple(_take_node(nodes, root) for root in roots), summary=summary)


def _plan_pairings(pairings: list[_Pairing], plan: list[_Pairing]) -> list[int]:
    start = len(plan)
    plan.extend(pairings)
    return list(range(start, len(plan)))


def _take_node(nodes: list[DiffNode | None], position: int) -> DiffNode:
    node = nodes[position]
    assert node is not None, "children are built before their parents"
    return node


def _build_node(
    pairing: _Pairing, before: _Forest, after: _Forest, children: tuple[DiffNode, ...]
) -> DiffNode:
    original_index, replay_index, basis = pairing
    if replay_index == _NO_SPAN:
        return _build_unmatched_node(
            DiffStatus.REMOVED, before.keys[original_index], before.spans[original_index], children
        )
    if original_index == _NO_SPAN:
        return _build_unmatched_node(
            DiffStatus.ADDED, after.keys[replay_index], after.spans[replay_index], children
        )
    original_span = before.spans[original_index]
    replay_span = after.spans[replay_index]
    attribute_changes, output_changes = compare_span_content(original_span, replay_span)
    input_tokens, output_tokens = measure_tokens(original_span, replay_span)
    return DiffNode(
        status=DiffStatus.CHANGED if attribute_changes or output_changes else DiffStatus.SAME,
        key=after.keys[replay_index],
        original=original_span,
        replay=replay_span,
        matched_by=basis,
        attribute_changes=attribute_changes,
        output_changes=output_changes,
        duration=measure_duration(original_span, replay_span),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        children=children,
    )


def _build_unmatched_node(
    status: DiffStatus, key: SpanKey, span: Span, children: tuple[DiffNode, ...]
) -> DiffNode:
    return DiffNode(
        status=status,
        key=key,
        original=span if status is DiffStatus.REMOVED else None,
        replay=span if status is DiffStatus.ADDED else None,
        matched_by=None,
        attribute_changes=(),
        output_changes=(),
        duration=None,
        input_tokens=None,
        output_tokens=None,
        children=children,
    )


def _build_forest(
    spans: Sequence[Span], key: KeyFunction, is_scaffolding: SpanPredicate
) -> _Forest:
    index_of: dict[tuple[str, str], int] = {}
    for index, span in enumerate(spans):
        index_of.setdefault((span.trace_id, span.span_id), index)
    parents = [_NO_SPAN] * len(spans)
    for index, span in enumerate(spans):
        if span.parent_span_id:
            parent = index_of.get((span.trace_id, span.parent_span_id), _NO_SPAN)
            parents[index] = _NO_SPAN if parent == index else parent
    _cut_parent_cycles(parents)
    scaffolding = [is_scaffolding(span) for span in spans]
    kept_parents = _splice_parents(parents, scaffolding) if any(scaffolding) else parents
    children: list[list[int]] = [[] for _ in spans]
    roots: list[int] = []
    # Appending in start-time order leaves every sibling list sorted; ties are broken by
    # the span itself, so the order spans arrived in never matters.
    for *_, index in sorted(
        (span.start_time_unix_nano, span.end_time_unix_nano, span.name, span.span_id, index)
        for index, span in enumerate(spans)
    ):
        if scaffolding[index]:
            continue
        parent = kept_parents[index]
        (roots if parent == _NO_SPAN else children[parent]).append(index)
    keys = [key(span) for span in spans]
    shapes = [0] * len(spans)
    contents = [0] * len(spans)
    top_down = list(roots)
    for index in top_down:
        top_down.extend(children[index])
    for index in reversed(top_down):
        below = children[index]
        shapes[index] = hash((keys[index], *(shapes[child] for child in below)))
        contents[index] = hash(
            (hash_span_content(spans[index]), keys[index], *(contents[child] for child in below))
        )
    return _Forest(spans, keys, children, roots, index_of, parents, scaffolding, shapes, contents)


def _splice_parents(parents: list[int], scaffolding: list[bool]) -> list[int]:
    # Each span's nearest ancestor that is not scaffolding. Parents are acyclic by now.
    kept = list(parents)
    for start in range(len(parents)):
        walked: list[int] = []
        index = kept[start]
        while index != _NO_SPAN and scaffolding[index]:
            walked.append(index)
            index = kept[index]
        for seen in (start, *walked):
            kept[seen] = index
    return kept


def _cut_parent_cycles(parents: list[int]) -> None:
    # Malformed input can make spans each other's ancestors; the span where a walk up
    # meets its own path becomes a root, so every span stays reachable.
    state = [0] * len(parents)  # 0 unseen, 1 on the current walk, 2 done
    for start in range(len(parents)):
        walked: list[int] = []
        index = start
        while index != _NO_SPAN and state[index] == 0:
            state[index] = 1
            walked.append(index)
            index = parents[index]
        if index != _NO_SPAN and state[index] == 1:
            parents[index] = _NO_SPAN
        for seen in walked:
            state[seen] = 2


def _read_replay_links(replay: _Forest, original: _Forest) -> dict[int, int]:
    """Replay span -> the original span it is a replay of, where it names exactly one."""
    links: dict[int, int] = {}
    for index, span in enumerate(replay.spans):
        targets = {
            (link.trace_id, link.span_id)
            for link in span.links
            if link.attributes.get(REPLAY_LINK_TYPE_KEY) == REPLAY_OF
        }
        if len(targets) == 1:
            target = original.index_of.get(targets.pop())
            if target is not None:
                links[index] = target
    # A turn span of the runner links to the original turn; the agent span it wraps, which
    # stands where the scaffolding was spliced out, takes that link when its key agrees.
    heirs: dict[int, list[int]] = {}
    for index, parent in enumerate(replay.raw_parents):
        if parent != _NO_SPAN and replay.scaffolding[parent] and parent in links:
            target = links[parent]
            if index not in links and replay.keys[index] == original.keys[target]:
                heirs.setdefault(parent, []).append(index)
    for parent, candidates in heirs.items():
        if len(candidates) == 1:
            links[candidates[0]] = links[parent]
    return links


class _SiblingPairs:
    """Pairings between positions in two sibling lists, filled in pass by pass."""

    def __init__(self, originals: list[int], replays: list[int]) -> None:
        self.originals = originals
        self.replays = replays
        self.partner = [_NO_SPAN] * len(originals)  # original position -> replay position
        self.taken = [False] * len(replays)
        self.basis_of: dict[int, MatchBasis] = {}  # replay position -> basis

    def pair(self, i: int, j: int, basis: MatchBasis) -> None:
        self.partner[i] = j
        self.taken[j] = True
        self.basis_of[j] = basis

    def list_free_originals(self, positions: Sequence[int]) -> list[int]:
        return [i for i in positions if self.partner[i] == _NO_SPAN]

    def list_free_replays(self, positions: Sequence[int]) -> list[int]:
        return [j for j in positions if not self.taken[j]]

    def order_pairings(self) -> list[_Pairing]:
        """Replay order; a removed span goes after the partner of its preceding sibling."""
        replay_partner = [_NO_SPAN] * len(self.replays)
        for i, j in enumerate(self.partner):
            if j != _NO_SPAN:
                replay_partner[j] = i
        ordered: list[tuple[tuple[int, int, int], _Pairing]] = []
        for j, replay_index in enumerate(self.replays):
            i = replay_partner[j]
            original_index = self.originals[i] if i != _NO_SPAN else _NO_SPAN
            ordered.append(((j, 0, 0), (original_index, replay_index, self.basis_of.get(j))))
        anchor = -1
        for i, original_index in enumerate(self.originals):
            if self.partner[i] != _NO_SPAN:
                anchor = self.partner[i]
            else:
                ordered.append(((anchor, 1, i), (original_index, _NO_SPAN, None)))
        ordered.sort(key=lambda entry: entry[0])
        return [pairing for _, pairing in ordered]


def _pair_siblings(
    originals: list[int],
    replays: list[int],
    before: _Forest,
    after: _Forest,
    links: dict[int, int],
) -> list[_Pairing]:
    if not originals or not replays:
        unmatched: list[_Pairing] = [(index, _NO_SPAN, None) for index in originals]
        unmatched.extend((_NO_SPAN, index, None) for index in replays)
        return unmatched
    pairs = _SiblingPairs(originals, replays)
    if links:
        position_of = {span: position for position, span in enumerate(originals)}
        for j, replay_index in enumerate(replays):
            i = position_of.get(links.get(replay_index, _NO_SPAN), _NO_SPAN)
            if i != _NO_SPAN and pairs.partner[i] == _NO_SPAN:
                pairs.pair(i, j, MatchBasis.LINK)

    free_originals = pairs.list_free_originals(range(len(originals)))
    free_replays = pairs.list_free_replays(range(len(replays)))
    # Identical subtrees anchor first, then equal shapes, then equal keys: with only keys,
    # one turn inserted among many `turn` spans would pair every later turn with its
    # neighbour.
    original_spans = [originals[i] for i in free_originals]
    replay_spans = [replays[j] for j in free_replays]
    original_contents = [before.contents[span] for span in original_spans]
    replay_contents = [after.contents[span] for span in replay_spans]
    if original_contents == replay_contents:
        for i, j in zip(free_originals, free_replays, strict=True):
            pairs.pair(i, j, MatchBasis.KEY)
        return pairs.order_pairings()
    aligned = align_by_levels(
        [
            (original_contents, replay_contents),
            (
                [before.shapes[span] for span in original_spans],
                [after.shapes[span] for span in replay_spans],
            ),
            (
                [before.keys[span] for span in original_spans],
                [after.keys[span] for span in replay_spans],
            ),
        ]
    )
    for a, b in aligned:
        pairs.pair(free_originals[a], free_replays[b], MatchBasis.KEY)
    if len(aligned) == min(len(free_originals), len(free_replays)):
        return pairs.order_pairings()

    # A move needs the same shape below: a skipped turn and an extra turn far apart are
    # not one turn that moved.
    waiting: dict[int, deque[int]] = {}
    for i in pairs.list_free_originals(free_originals):
        waiting.setdefault(before.shapes[originals[i]], deque()).append(i)
    for j in pairs.list_free_replays(free_replays):
        queue = waiting.get(after.shapes[replays[j]])
        if queue:
            pairs.pair(queue.popleft(), j, MatchBasis.REORDERED)

    bounds = [(-1, -1), *aligned, (len(free_originals), len(free_replays))]
    for (low_a, low_b), (high_a, high_b) in pairwise(bounds):
        gap_originals = pairs.list_free_originals(free_originals[low_a + 1 : high_a])
        gap_replays = pairs.list_free_replays(free_replays[low_b + 1 : high_b])
        if not gap_originals or not gap_replays:
            continue
        coarse = align_sequences(
            [_coarse_key(before.keys[originals[i]]) for i in gap_originals],
            [_coarse_key(after.keys[replays[j]]) for j in gap_replays],
        )
        for a, b in coarse:
            pairs.pair(gap_originals[a], gap_replays[b], MatchBasis.PARTIAL_KEY)
    return pairs.order_pairings()


def _coarse_key(key: SpanKey) -> Hashable:
    # An empty first component says nothing about the span, so it must match nothing.
    return key[0] if key and key[0] else object()
