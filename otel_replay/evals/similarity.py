"""Lexical reply similarity: do two replies say the same thing, in any words?

A reply is read as content words and key facts. Content words are lower-cased, stemmed,
stripped of stopwords and mapped through a small synonym table (`lexicon.py`); their
overlap (Dice) is the base score. Key facts are numbers, times, dates, ids, weekdays,
months, relative days and names (words capitalised inside a sentence); words like
`approved`/`denied`, a negated word and an opening yes/no carry a polarity. A fact of one
kind replaced by another (order 123 -> 132, Friday -> Monday, Canberra -> Sydney) or a
claim whose polarity flipped (shipped -> not shipped) is a conflict, and each conflict
multiplies the score by `CONFLICT_FACTOR`. A paraphrase keeps its facts and scores high;
a contradiction shares most words but conflicts, and scores low.

It cannot see who did what ("lists are mutable, tuples are not" against the reverse):
both replies hold the same words with the same signs.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from otel_replay.evals.lexicon import (
    AMBIGUOUS_MONTHS,
    ANSWERS,
    CLAUSE_BREAKS,
    CONTRACTIONS,
    MONTHS,
    NEGATION_SKIPS,
    NEGATION_STOPS,
    NEGATIONS,
    NUMBER_WORDS,
    PHRASES,
    POLARITY,
    RELATIVE_DAYS,
    STOPWORDS,
    SYNONYMS,
    WEEKDAYS,
)

__all__ = [
    "CONFLICT_FACTOR",
    "LEXICAL_THRESHOLD",
    "Calibration",
    "ReplyComparison",
    "ReplyReading",
    "calibrate_threshold",
    "compare_replies",
    "list_conflicts",
    "measure_lexical_similarity",
    "read_reply",
    "stem_word",
]

# What one conflicting fact or flipped claim leaves of the score.
CONFLICT_FACTOR = 0.35
# The threshold that separates paraphrases from contradictions and unrelated replies in
# tests/evals/similarity_pairs.json (bench/similarity.py prints how well).
LEXICAL_THRESHOLD = 0.58

_SENTENCE_END = re.compile(r"[.!?;:\n]\s*$")
_CAPITALISED = re.compile(r"(?<![\w'])([A-Z][\w'-]*)")
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b\.?")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_UNIT_AFTER_NUMBER = re.compile(r"\b(\d+(?:\.\d+)?)([a-z]{1,3})\b")
_TOKEN = re.compile(r"[a-z0-9_]+(?:['.:/-][a-z0-9_]+)*|[.,;!?]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_HAS_DIGIT = re.compile(r"\d")
_PHRASE_WORDS = dict(PHRASES)
_PHRASE = re.compile("|".join(rf"(?<!\w){re.escape(phrase)}(?!\w)" for phrase, _ in PHRASES))


def stem_word(word: str) -> str:
    """A light suffix stripper: enough for `shipped`/`ships`/`shipping` to meet."""
    stemmed = word
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("sses", "ss")):
        if stemmed.endswith(suffix) and len(stemmed) > len(suffix) + 2:
            return stemmed[: -len(suffix)] + replacement
    for suffix in ("ing", "ed"):
        if stemmed.endswith(suffix) and len(stemmed) > len(suffix) + 2:
            stemmed = stemmed[: -len(suffix)]
            # shipped -> shipp -> ship; but called -> call
            if len(stemmed) > 2 and stemmed[-1] == stemmed[-2] and stemmed[-1] not in "lsz":
                stemmed = stemmed[:-1]
            break
    else:
        if stemmed.endswith("es") and stemmed[:-2].endswith(("sh", "ch", "x", "ss", "z")):
            stemmed = stemmed[:-2]
        elif stemmed.endswith("s") and not stemmed.endswith(("ss", "us", "is")) and len(word) > 3:
            stemmed = stemmed[:-1]
    if stemmed.endswith("e") and len(stemmed) > 4:
        stemmed = stemmed[:-1]
    return stemmed


_CANONICAL: dict[str, str] = {stem_word(word): group[0] for group in SYNONYMS for word in group}
_POLARITY: dict[str, tuple[str, int]] = {stem_word(w): sign for w, sign in POLARITY.items()}


def _canonical(word: str) -> str:
    stem = stem_word(word)
    return _CANONICAL.get(stem, _CANONICAL.get(word, stem))


@dataclass(frozen=True)
class ReplyReading:
    """What the similarity reads of one reply."""

    words: frozenset[str]  # content words and facts, canonical
    facts: dict[str, frozenset[str]]  # kind -> facts of that kind
    polarity: dict[str, frozenset[int]]  # concept -> the signs polar or negated words give it
    plain: frozenset[str]  # concepts stated without a negation
    spelled: dict[tuple[str, int], str]  # (concept, sign) -> how the reply first said it


def _names(texts: Iterable[str]) -> frozenset[str]:
    """Words written capitalised inside a sentence, in any of the texts: names."""
    names: set[str] = set()
    for text in texts:
        for match in _CAPITALISED.finditer(text):
            before = text[: match.start()].rstrip(" \"'(*-")
            word = match.group(1).lower()
            if before and not _SENTENCE_END.search(before) and len(word) > 1:
                names.add(word)
    return frozenset(names)


def _clock(hours: str, minutes: str | None, half: str | None) -> str:
    hour = int(hours)
    if half is not None:
        hour = hour % 12 + (12 if half == "p" else 0)
    return f"{hour}:{minutes or '00'}"


def _normalise(text: str) -> str:
    lowered = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("‘", "'")
    lowered = _TIME.sub(lambda m: " " + _clock(m.group(1), m.group(2), m.group(3)) + " ", lowered)
    lowered = _CLOCK.sub(lambda m: _clock(m.group(1), m.group(2), None), lowered)
    lowered = _THOUSANDS.sub("", lowered)
    lowered = _UNIT_AFTER_NUMBER.sub(r"\1 \2", lowered)
    for contraction, spelled in CONTRACTIONS:
        lowered = lowered.replace(contraction, spelled)
    return _PHRASE.sub(lambda m: f" {_PHRASE_WORDS[m.group(0)]} ", lowered)


def _bare_words(text: str) -> list[str]:
    return [word for word in _TOKEN.findall(_normalise(text)) if word not in ".,;!?"]


def _number(text: str) -> str:
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{int(whole)}.{fraction}" if fraction else str(int(whole))


def _split(raw: str) -> Iterator[tuple[str, str | None]]:
    """(word, fact kind or None) for one raw token; punctuation comes out as ("", None)."""
    if raw in ".,;!?":
        yield "", None
    elif _DATE.fullmatch(raw):
        yield raw, "date"
    elif ":" in raw and all(part.isdigit() for part in raw.split(":")):
        yield raw, "time"
    elif _HAS_DIGIT.search(raw):
        if all(_NUMBER.fullmatch(part) for part in raw.split("-")):
            for part in raw.split("-"):  # a range: 3-5
                yield _number(part), "number"
        elif _NUMBER.fullmatch(raw.rstrip(".")):
            yield _number(raw.rstrip(".")), "number"
        else:
            yield raw.strip(".-"), "id"
    else:
        for part in re.split(r"[.:/-]", raw):
            if part in NUMBER_WORDS:
                yield NUMBER_WORDS[part], "number"
            elif len(part) > 1 or part in ".,":
                yield part, None


def _fact_kind(word: str, names: frozenset[str]) -> str | None:
    if word in WEEKDAYS or word.removesuffix("s") in WEEKDAYS:
        return "weekday"
    if word in MONTHS or (word in AMBIGUOUS_MONTHS and word in names):
        return "month"
    if word in RELATIVE_DAYS:
        return "relative day"
    if word in names:
        return "name"
    return None


def read_reply(text: str, names: frozenset[str] = frozenset()) -> ReplyReading:
    """Content words, facts and polarity of a reply; `names` are the words read as names."""
    words: set[str] = set()
    facts: defaultdict[str, set[str]] = defaultdict(set)
    polarity: defaultdict[str, set[int]] = defaultdict(set)
    plain: set[str] = set()
    spelled: dict[tuple[str, int], str] = {}
    negated = False
    first = True
    tokens = [piece for raw in _TOKEN.findall(_normalise(text)) for piece in _split(raw)]
    for index, (word, kind) in enumerate(tokens):
        if not word or word in CLAUSE_BREAKS or (negated and word in NEGATION_STOPS):
            negated = False
            continue
        if first and word in ANSWERS and index + 1 < len(tokens) and not tokens[index + 1][0]:
            polarity["answer"].add(ANSWERS[word])
            spelled[("answer", ANSWERS[word])] = word
        first = False
        # "None" written as a name (Python's) negates nothing.
        if word in NEGATIONS and word not in names:
            negated = True
            continue
        if kind is None and (word in STOPWORDS or word in NEGATION_SKIPS):
            continue
        kind = kind or _fact_kind(word, names)
        if kind is not None:
            fact = word.removesuffix("s") if kind == "weekday" else word
            facts[kind].add(fact)
            words.add(fact)
            continue
        stem = stem_word(word)
        concept, sign = _POLARITY.get(stem, _POLARITY.get(word, (_canonical(word), 1)))
        words.add(concept)
        spelled.setdefault((concept, -sign if negated else sign), f"{'not ' * negated}{word}")
        if negated or (stem in _POLARITY or word in _POLARITY):
            polarity[concept].add(-sign if negated else sign)
        else:
            plain.add(concept)
        negated = False
    return ReplyReading(
        frozenset(words),
        {kind: frozenset(values) for kind, values in facts.items()},
        {concept: frozenset(signs) for concept, signs in polarity.items()},
        frozenset(plain),
        spelled,
    )


def list_conflicts(original: ReplyReading, replayed: ReplyReading) -> list[str]:
    """What the replies disagree on: a fact of one kind replaced by another, or a claim
    given the opposite sign (`order 123 -> 132`, `not ship`)."""
    conflicts: list[str] = []
    for kind in sorted(original.facts.keys() & replayed.facts.keys()):
        only_original = sorted(original.facts[kind] - replayed.facts[kind])
        only_replayed = sorted(replayed.facts[kind] - original.facts[kind])
        conflicts.extend(
            f"{kind} {a} -> {b}" for a, b in zip(only_original, only_replayed, strict=False)
        )
    for concept in sorted(original.polarity.keys() | replayed.polarity.keys()):
        before = _signs(original, concept)
        after = _signs(replayed, concept)
        if len(before) == 1 and len(after) == 1 and before != after:
            was = original.spelled.get((concept, min(before)), concept)
            now = replayed.spelled.get((concept, min(after)), concept)
            conflicts.append(f"{was} -> {now}")
    return conflicts


def _signs(reading: ReplyReading, concept: str) -> frozenset[int]:
    """The signs `reading` gives `concept`. A word stated plainly is positive when the
    reply also negates it, or negates nothing: "I could not find the account" and "there
    is no account" agree, "it shipped" and "it has not shipped" do not."""
    signs = set(reading.polarity.get(concept, ()))
    negates = any(-1 in s for s in reading.polarity.values())
    if concept in reading.plain and (signs or not negates):
        signs.add(1)
    return frozenset(signs)


@dataclass(frozen=True)
class ReplyComparison:
    """The similarity of two replies and the conflicts that lowered it."""

    similarity: float
    conflicts: tuple[str, ...] = ()


def compare_replies(original: str | None, replayed: str | None) -> ReplyComparison:
    """How far two replies say the same thing: 1.0 same words and facts, near 0 unrelated
    or contradicting. Two empty replies are equal; an empty and a non-empty one are not."""
    before_text, after_text = (original or "").strip(), (replayed or "").strip()
    if not before_text or not after_text:
        return ReplyComparison(float(before_text == after_text))
    names = _names((before_text, after_text))
    before, after = read_reply(before_text, names), read_reply(after_text, names)
    if not before.words or not after.words:
        # Nothing but stopwords on a side ("OK."): only the same text is the same reply.
        return ReplyComparison(float(_bare_words(before_text) == _bare_words(after_text)))
    shared = len(before.words & after.words)
    dice = 2 * shared / (len(before.words) + len(after.words))
    conflicts = tuple(list_conflicts(before, after))
    return ReplyComparison(dice * CONFLICT_FACTOR ** len(conflicts), conflicts)


def measure_lexical_similarity(original: str | None, replayed: str | None) -> float:
    """`compare_replies(...).similarity`."""
    return compare_replies(original, replayed).similarity


@dataclass(frozen=True)
class Calibration:
    """The threshold that best separates scores that should pass from scores that should
    fail: `errors` is how many land on the wrong side, `margin` the gap around it."""

    threshold: float
    errors: int
    margin: float


def calibrate_threshold(passing: Sequence[float], failing: Sequence[float]) -> Calibration:
    """The cut with the fewest scores on the wrong side, then the widest gap around it;
    midway between its neighbours, so a score equal to the threshold passes."""
    if not passing or not failing:
        raise ValueError("calibrating needs scores that should pass and scores that should fail")
    values = sorted({*passing, *failing})
    candidates = [(low + high) / 2 for low, high in itertools.pairwise(values)]
    candidates = candidates or [values[0]]
    best: Calibration | None = None
    for cut in candidates:
        errors = sum(s < cut for s in passing) + sum(s >= cut for s in failing)
        margin = min(abs(s - cut) for s in (*passing, *failing))
        if best is None or (errors, -margin) < (best.errors, -best.margin):
            best = Calibration(cut, errors, margin)
    assert best is not None
    return best
