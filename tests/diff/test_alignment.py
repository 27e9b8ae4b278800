from __future__ import annotations

import random
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from otel_replay.diff.alignment import align_by_levels, align_sequences

letters = st.lists(st.sampled_from("abcd"), max_size=14)


def measure_lcs(a: list[str], b: list[str]) -> int:
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lengths[i][j] = (
                lengths[i + 1][j + 1] + 1
                if a[i] == b[j]
                else max(lengths[i + 1][j], lengths[i][j + 1])
            )
    return lengths[0][0]


def assert_in_order_and_equal(pairs: list[tuple[int, int]], a: list[str], b: list[str]) -> None:
    assert all(a[i] == b[j] for i, j in pairs)
    assert all(p[0] < q[0] and p[1] < q[1] for p, q in pairwise(pairs))


@given(letters, letters)
def test_alignment_is_a_longest_common_subsequence(a: list[str], b: list[str]) -> None:
    pairs = align_sequences(a, b)

    assert_in_order_and_equal(pairs, a, b)
    assert len(pairs) == measure_lcs(a, b)


def test_alignment_of_long_repetitive_lists_with_one_insertion_keeps_every_item() -> None:
    a = ["turn"] * 5000
    b = [*a[:2500], "extra", *a[2500:]]

    pairs = align_sequences(a, b)

    assert len(pairs) == 5000
    assert (2500, 2501) in pairs


def test_lists_past_the_edit_budget_still_pair_nearly_every_unchanged_item() -> None:
    # A third of the items replaced: far too many edits for Myers within its budget.
    rng = random.Random(7)
    a = [f"k{rng.randrange(50)}" for _ in range(4000)]
    b = [f"new{i}" if i % 3 == 0 else item for i, item in enumerate(a)]
    unchanged = sum(1 for i in range(4000) if i % 3)

    pairs = align_sequences(a, b)

    assert_in_order_and_equal(pairs, a, b)
    assert len(pairs) >= 0.95 * unchanged


def test_lists_sharing_nothing_pair_nothing() -> None:
    assert align_sequences([f"a{i}" for i in range(3000)], [f"b{i}" for i in range(3000)]) == []


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xyz")), max_size=10), letters)
def test_levels_refine_gaps_without_breaking_order(
    items: list[tuple[str, str]], other: list[str]
) -> None:
    fine_a = [f"{coarse}{fine}" for coarse, fine in items]
    coarse_a = [coarse for coarse, _ in items]
    fine_b = [f"{letter}y" for letter in other]
    coarse_b = list(other)

    pairs = align_by_levels([(fine_a, fine_b), (coarse_a, coarse_b)])

    assert_in_order_and_equal(pairs, coarse_a, coarse_b)
    assert measure_lcs(fine_a, fine_b) <= len(pairs) <= measure_lcs(coarse_a, coarse_b)


def test_finer_level_decides_which_equal_coarse_items_pair() -> None:
    coarse = ["turn", "turn", "turn"]

    pairs = align_by_levels([(["t1", "t2", "t3"], ["t2", "t3"]), (coarse, coarse[:2])])

    assert pairs == [(1, 0), (2, 1)]
