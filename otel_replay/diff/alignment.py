"""Sequence alignment on hashable keys: which items of two lists pair up, in order.

Replays mostly repeat the original with a few edits, and sibling lists repeat the same key
many times (every turn is `turn`, every model call is `chat`), which drives
`difflib.SequenceMatcher` towards its quadratic worst case. So: trim the common prefix and
suffix, run Myers' O((N+M)·D) shortest-edit-script search on the middle, and when the edit
distance D blows a work budget proportional to the input, fall back to a linear walk that
only pairs nearby items.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Sequence

# Diagonal visits allowed per item before Myers gives way to the greedy match; 2,000 items
# with scattered edits need D of about 2 per edit, far under this.
_WORK_PER_ITEM = 32
_MIN_WORK = 4096
# How far the fallback looks for the next copy of an item, and how many items it checks
# to judge a move.
_NEARBY_WINDOW = 64
_LOOKAHEAD = 8
_FAR = 1 << 62

Pairs = list[tuple[int, int]]


def align_sequences(a: Sequence[Hashable], b: Sequence[Hashable]) -> Pairs:
    """Pairs (i, j) with a[i] == b[j], strictly increasing in both i and j.

    A longest common subsequence when the lists differ by few edits; a local in-order
    match otherwise.
    """
    n, m = len(a), len(b)
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    pairs: Pairs = [(i, i) for i in range(head)]
    middle_a = a[head : n - tail]
    middle_b = b[head : m - tail]
    if middle_a and middle_b:
        budget = max(_MIN_WORK, _WORK_PER_ITEM * (len(middle_a) + len(middle_b)))
        middle = None
        if _estimate_myers_work(middle_a, middle_b) <= budget:
            middle = _find_myers_pairs(middle_a, middle_b, budget)
        if middle is None:
            middle = _find_nearby_pairs(middle_a, middle_b)
        pairs.extend((i + head, j + head) for i, j in middle)
    pairs.extend((n - tail + t, m - tail + t) for t in range(tail))
    return pairs


def align_by_levels(
    levels: Sequence[tuple[Sequence[Hashable], Sequence[Hashable]]],
) -> Pairs:
    """Align on the first level's keys, then each gap it leaves on the next level's, and so on.

    Every level keys the same two lists, finest first, so a coarse key only decides what a
    finer one could not.
    """
    if not levels:
        return []
    pairs: Pairs = []
    gaps = [(0, len(levels[0][0]), 0, len(levels[0][1]))]
    for a, b in levels:
        next_gaps: list[tuple[int, int, int, int]] = []
        for low_a, high_a, low_b, high_b in gaps:
            found = align_sequences(a[low_a:high_a], b[low_b:high_b])
            start_a, start_b = low_a, low_b
            for i, j in found:
                i, j = i + low_a, j + low_b
                pairs.append((i, j))
                if i > start_a and j > start_b:
                    next_gaps.append((start_a, i, start_b, j))
                start_a, start_b = i + 1, j + 1
            if high_a > start_a and high_b > start_b:
                next_gaps.append((start_a, high_a, start_b, high_b))
        gaps = next_gaps
        if not gaps:
            break
    pairs.sort()
    return pairs


def _estimate_myers_work(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    # A lower bound: no common subsequence is longer than the items both lists share, and
    # Myers visits about D²/2 diagonals to find an edit script of length D.
    counts_b = Counter(b)
    shared = sum(min(count, counts_b[item]) for item, count in Counter(a).items())
    distance = len(a) + len(b) - 2 * shared
    return distance * (distance + 1) // 2


def _find_myers_pairs(a: Sequence[Hashable], b: Sequence[Hashable], budget: int) -> Pairs | None:
    # Myers 1986, "An O(ND) difference algorithm": v[k] is the furthest x reached on
    # diagonal k = x - y; a snapshot of v before each round lets us walk the path back.
    n, m = len(a), len(b)
    limit = n + m
    offset = limit + 1
    v = [0] * (2 * limit + 3)
    snapshots: list[list[int]] = []
    work = 0
    for d in range(limit + 1):
        snapshots.append(v[offset - d - 1 : offset + d + 2])
        work += d + 1
        if work > budget:
            return None
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                x = v[offset + k + 1]
            else:
                x = v[offset + k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            v[offset + k] = x
            if x >= n and y >= m:
                return _trace_myers_path(snapshots, n, m)
    return None


def _trace_myers_path(snapshots: list[list[int]], n: int, m: int) -> Pairs:
    pairs: Pairs = []
    x, y = n, m
    for d in range(len(snapshots) - 1, -1, -1):
        snapshot = snapshots[d]
        shift = d + 1
        k = x - y
        if k == -d or (k != d and snapshot[shift + k - 1] < snapshot[shift + k + 1]):
            previous_k = k + 1
        else:
            previous_k = k - 1
        previous_x = snapshot[shift + previous_k]
        previous_y = previous_x - previous_k
        while x > previous_x and y > previous_y:
            x -= 1
            y -= 1
            pairs.append((x, y))
        x, y = previous_x, previous_y
    pairs.reverse()
    return pairs


def _find_nearby_pairs(a: Sequence[Hashable], b: Sequence[Hashable]) -> Pairs:
    # Walk both lists at once. On a mismatch, consider dropping either item, dropping both
    # (a replacement), or skipping ahead on one side to the next copy of the other side's
    # item, if near; take the move after which the lists agree longest, then the one that
    # skips least. Never jumps far, so a chance match between distant items cannot swallow
    # everything in between.
    positions_a = _index_positions(a)
    positions_b = _index_positions(b)
    pairs: Pairs = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            pairs.append((i, j))
            i += 1
            j += 1
            continue
        moves = [(i + 1, j + 1), (i + 1, j), (i, j + 1)]
        skip_a = _measure_distance(positions_a.get(b[j]), i)
        if skip_a <= _NEARBY_WINDOW:
            moves.append((i + skip_a, j))
        skip_b = _measure_distance(positions_b.get(a[i]), j)
        if skip_b <= _NEARBY_WINDOW:
            moves.append((i, j + skip_b))
        i, j = max(moves, key=lambda move: (_count_agreement(a, b, *move), i + j - sum(move)))
    return pairs


def _count_agreement(a: Sequence[Hashable], b: Sequence[Hashable], i: int, j: int) -> int:
    run = 0
    while run < _LOOKAHEAD and i + run < len(a) and j + run < len(b) and a[i + run] == b[j + run]:
        run += 1
    return run


def _index_positions(items: Sequence[Hashable]) -> dict[Hashable, list[int]]:
    positions: dict[Hashable, list[int]] = {}
    for index, item in enumerate(items):
        positions.setdefault(item, []).append(index)
    return positions


def _measure_distance(positions: list[int] | None, start: int) -> int:
    if positions:
        index = bisect_left(positions, start)
        if index < len(positions):
            return positions[index] - start
    return _FAR
