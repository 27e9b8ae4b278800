from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otel_replay.evals.similarity import (
    LEXICAL_THRESHOLD,
    Calibration,
    calibrate_threshold,
    compare_replies,
    measure_lexical_similarity,
    stem_word,
)

PAIRS_FILE = Path(__file__).with_name("similarity_pairs.json")
MUST_FAIL = ("contradiction", "unrelated")


def load_pairs() -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = json.loads(PAIRS_FILE.read_text(encoding="utf-8"))["pairs"]
    return pairs


def scores_of(*labels: str) -> list[float]:
    return [
        measure_lexical_similarity(p["a"], p["b"]) for p in load_pairs() if p["label"] in labels
    ]


def test_labelled_pairs_cover_four_labels() -> None:
    counts = Counter(p["label"] for p in load_pairs())

    assert set(counts) == {"paraphrase", "partial", "contradiction", "unrelated"}
    assert sum(counts.values()) >= 60
    assert min(counts.values()) >= 10


def test_default_threshold_is_the_one_the_labelled_pairs_choose() -> None:
    calibration = calibrate_threshold(scores_of("paraphrase"), scores_of(*MUST_FAIL))

    assert calibration.errors == 0
    assert round(calibration.threshold, 2) == LEXICAL_THRESHOLD


@pytest.mark.parametrize("label", ["paraphrase", *MUST_FAIL])
def test_at_the_default_threshold_paraphrases_pass_and_the_rest_fail(label: str) -> None:
    wrong = []
    for pair in load_pairs():
        if pair["label"] != label:
            continue
        comparison = compare_replies(pair["a"], pair["b"])
        passed = comparison.similarity >= LEXICAL_THRESHOLD
        if passed != (label == "paraphrase"):
            wrong.append((round(comparison.similarity, 3), pair["a"], pair["b"]))

    assert wrong == []


def test_partials_score_between_contradictions_and_paraphrases_on_the_whole() -> None:
    # Reported, not required one by one: a partial reply may pass or fail.
    partial = sorted(scores_of("partial"))
    median = partial[len(partial) // 2]

    assert max(scores_of(*MUST_FAIL)) < median <= min(scores_of("paraphrase"))


@pytest.mark.parametrize(
    ("original", "replayed", "conflicts"),
    [
        ("I have refunded order 123.", "I have refunded order 132.", ("number 123 -> 132",)),
        ("Your total is $1,250.00.", "Your total is 1250 dollars.", ()),
        ("See you at 2 pm.", "See you at 14:00.", ()),
        ("See you at 2 pm.", "See you at 4 pm.", ("time 14:00 -> 16:00",)),
        ("Order A-1042 is late.", "Order A-1043 is late.", ("id a-1042 -> a-1043",)),
        ("It arrives Friday.", "It arrives on Monday.", ("weekday friday -> monday",)),
        (
            "It arrived yesterday.",
            "It arrived last week.",
            ("relative day yesterday -> last_week",),
        ),
        ("The capital is Canberra.", "The capital is Sydney.", ("name canberra -> sydney",)),
        ("Your order has shipped.", "Your order hasn't shipped.", ("shipped -> not shipped",)),
        ("Your refund was approved.", "Your refund was rejected.", ("approved -> rejected",)),
        ("The item is in stock.", "The item is out of stock.", ("available -> unavailable",)),
        ("Yes, that works.", "No, that works.", ("yes -> no",)),
        ("Invoice INV-2291 is paid.", "Invoice INV-2291 is still unpaid.", ("paid -> unpaid",)),
        # Python's None is a name, not a negation of "key".
        ("It returns None if the key is missing.", "If the key isn't there it returns None.", ()),
    ],
)
def test_conflicting_facts_and_claims_are_named(
    original: str, replayed: str, conflicts: tuple[str, ...]
) -> None:
    assert compare_replies(original, replayed).conflicts == conflicts


def test_negations_on_both_sides_agree() -> None:
    comparison = compare_replies(
        "I couldn't find an account with that email address.",
        "There's no account registered under that email address.",
    )

    assert comparison.conflicts == ()


def test_a_reply_that_states_and_negates_a_word_does_not_conflict() -> None:
    comparison = compare_replies(
        "You can return items within 30 days. Sale items cannot be returned.",
        "You can return items within 30 days.",
    )

    assert comparison.conflicts == ()


def test_each_conflict_cuts_the_score() -> None:
    same = measure_lexical_similarity("Order 123 ships Friday.", "Order 123 ships Friday.")
    one = measure_lexical_similarity("Order 123 ships Friday.", "Order 124 ships Friday.")
    two = measure_lexical_similarity("Order 123 ships Friday.", "Order 124 ships Monday.")

    # Three of four words shared, then one conflict; two of four, then two.
    assert same == 1.0
    assert one == pytest.approx(0.75 * 0.35)
    assert two == pytest.approx(0.5 * 0.35**2)


@pytest.mark.parametrize(
    ("original", "replayed", "similarity"),
    [
        (None, None, 1.0),
        ("", "  ", 1.0),
        (None, "Hello", 0.0),
        ("OK.", "ok", 1.0),
        ("OK.", "Sure.", 0.0),
    ],
)
def test_empty_and_stopword_only_replies(
    original: str | None, replayed: str | None, similarity: float
) -> None:
    assert measure_lexical_similarity(original, replayed) == similarity


@pytest.mark.parametrize(
    ("words", "stem"),
    [
        (("ship", "ships", "shipped", "shipping"), "ship"),
        (("arrive", "arrives", "arrived", "arriving"), "arriv"),
        (("delivery", "deliveries"), "delivery"),
        (("boxes", "box"), "box"),
    ],
)
def test_stemming_brings_word_forms_together(words: tuple[str, ...], stem: str) -> None:
    assert {stem_word(word) for word in words} == {stem}


def test_calibration_picks_the_middle_of_the_widest_clean_gap() -> None:
    assert calibrate_threshold([0.9, 0.7], [0.1, 0.5]) == Calibration(0.6, 0, pytest.approx(0.1))
    # Not separable: the cut with the fewest scores on the wrong side.
    assert calibrate_threshold([0.9, 0.4], [0.5, 0.1]).errors == 1
    with pytest.raises(ValueError, match="needs scores"):
        calibrate_threshold([], [0.1])


REPLIES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80
) | st.sampled_from([p["a"] for p in load_pairs()])


@given(REPLIES, REPLIES)
def test_similarity_is_a_symmetric_score_between_0_and_1(a: str, b: str) -> None:
    forth, back = measure_lexical_similarity(a, b), measure_lexical_similarity(b, a)

    assert 0.0 <= forth <= 1.0
    assert forth == pytest.approx(back)
    assert measure_lexical_similarity(a, a) == 1.0
