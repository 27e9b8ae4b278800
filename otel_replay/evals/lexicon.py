"""The word lists the lexical reply similarity reads: stopwords, phrases, synonyms, polarity.

Small and general on purpose: words assistants and support agents use for the same thing
(`shipped`, `on its way`, `in transit`), and the words whose sign decides what a reply
claims (`approved` / `denied`). Entries are written as people write them; `similarity.py`
stems them once at import.
"""

from __future__ import annotations


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words, and the fillers replies add around the facts ("please", "just").
STOPWORDS = _word_set("""
    a about above after again against all also am an and any anything are as at back be
    because been before being below between both but by can could did do does doing done
    down during each either else even ever every few for from further get gets getting got
    had has have having he her here hers herself him himself his how however i if in into
    is it its itself just let me more most my myself now of off on once only or other our
    ours ourselves out over own per please same shall she should so some someone something
    such than that the their theirs them themselves then there these they this those though
    through to too under until up upon us very via was we were what when where whereas which
    while who whom why will with within would yet you your yours yourself yourselves
    able all set sure okay ok good news also still again next
    """)

# Words that negate the content word that follows them (within the clause).
NEGATIONS = _word_set("not no never none nothing nobody neither nor cannot unable without")
# Skipped between a negation and the word it negates: "no further charges", "not yet shipped".
NEGATION_SKIPS = _word_set("further longer more any yet again even able")
# Words a negation stops at without negating anything: "if the key isn't there it returns".
NEGATION_STOPS = _word_set("there here it this that they we you he she i")
# Words that end the reach of a negation, besides punctuation.
CLAUSE_BREAKS = _word_set("but however although though while whereas so because since")

# Phrases read as one word, applied to the lower-cased reply before it is split into words.
PHRASES: tuple[tuple[str, str], ...] = (
    ("you're welcome", "welcome"),
    ("you are welcome", "welcome"),
    ("my pleasure", "welcome"),
    ("no problem", "welcome"),
    ("glad to help", "welcome"),
    ("happy to help", "help"),
    ("no one", "nobody"),
    ("no longer", "not"),
    ("failed to", "not"),
    ("on its way", "shipped"),
    ("on the way", "shipped"),
    ("in transit", "shipped"),
    ("out of stock", "unavailable"),
    ("sold out", "unavailable"),
    ("in stock", "available"),
    ("money back", "refund"),
    ("go through", "processed"),
    ("goes through", "processed"),
    ("went through", "processed"),
    ("in the morning", "am"),
    ("in the afternoon", "pm"),
    ("in the evening", "pm"),
    ("last week", "last_week"),
    ("next week", "next_week"),
    ("this week", "this_week"),
    ("last month", "last_month"),
    ("next month", "next_month"),
    ("this month", "this_month"),
    ("last year", "last_year"),
    ("next year", "next_year"),
    ("°c", " celsius"),
    ("°f", " fahrenheit"),
)

# Words for one thing; every word of a group reads as its first.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("ship", "shipped", "dispatch", "dispatched"),
    ("deliver", "delivery", "delivered", "arrive", "arrival"),
    ("refund", "reimburse", "reimbursement", "refunded"),
    ("money", "funds", "fund"),
    ("cancel", "cancelled", "canceled", "cancellation"),
    ("help", "assist", "assistance", "support"),
    ("email", "e-mail", "inbox", "mail"),
    ("change", "modify", "modified", "alter", "edit"),
    ("big", "large", "huge"),
    ("leave", "left", "depart", "departs", "departure"),
    ("find", "found", "locate", "located"),
    ("book", "booked", "booking", "schedule", "scheduled", "reserve", "reserved", "reservation"),
    ("reschedule", "rescheduled", "move", "moved"),
    ("total", "cost", "price", "amount", "sum", "equal", "equals"),
    ("buy", "bought", "purchase"),
    ("sorry", "apologize", "apologies", "unfortunately", "afraid"),
    ("give", "gave", "given", "provide", "share"),
    ("information", "info", "details"),
    ("customer", "client"),
    ("problem", "issue", "trouble"),
    ("start", "begin", "began"),
    ("get", "receive", "received"),
    ("send", "sent"),
    ("minute", "min", "mins"),
    ("second", "sec", "secs"),
    ("hour", "hr", "hrs"),
    ("city", "town"),
    ("upload", "uploads"),
    ("limit", "limited", "maximum", "max"),
    ("welcome", "anytime"),
    ("try", "use"),
    ("different", "another"),
    ("take", "took", "taken"),
    ("go", "went", "gone"),
    ("say", "said"),
    ("tell", "told"),
    ("make", "made"),
)

# Words whose sign is what a reply claims: (concept, +1 or -1). A negated one flips.
POLARITY: dict[str, tuple[str, int]] = {
    **dict.fromkeys(("approve", "approved", "accept", "accepted", "authorized"), ("approve", 1)),
    **dict.fromkeys(
        ("deny", "denied", "reject", "rejected", "decline", "declined"), ("approve", -1)
    ),
    **dict.fromkeys(
        ("success", "successful", "successfully", "succeed", "succeeded"), ("success", 1)
    ),
    **dict.fromkeys(("fail", "failed", "failure", "unsuccessful"), ("success", -1)),
    "available": ("available", 1),
    "unavailable": ("available", -1),
    "open": ("open", 1),
    **dict.fromkeys(("closed", "close"), ("open", -1)),
    **dict.fromkeys(("active", "enabled", "enable"), ("active", 1)),
    **dict.fromkeys(("inactive", "disabled", "disable", "expired"), ("active", -1)),
    "paid": ("paid", 1),
    "unpaid": ("paid", -1),
    "valid": ("valid", 1),
    "invalid": ("valid", -1),
    "correct": ("correct", 1),
    **dict.fromkeys(("incorrect", "wrong"), ("correct", -1)),
    "true": ("true", 1),
    "false": ("true", -1),
    "possible": ("possible", 1),
    "impossible": ("possible", -1),
    "eligible": ("eligible", 1),
    "ineligible": ("eligible", -1),
    "verified": ("verify", 1),
    "unverified": ("verify", -1),
    "mutable": ("change", 1),
    "immutable": ("change", -1),
    **dict.fromkeys(("allow", "allowed", "permitted"), ("allow", 1)),
    **dict.fromkeys(("forbidden", "prohibited", "disallowed"), ("allow", -1)),
    **dict.fromkeys(("increase", "increased", "raise", "raised", "rise"), ("increase", 1)),
    **dict.fromkeys(("decrease", "decreased", "reduce", "reduced", "lower"), ("increase", -1)),
}

# A reply that opens with one of these answers yes or no.
ANSWERS: dict[str, int] = {"yes": 1, "yeah": 1, "correct": 1, "no": -1, "nope": -1}

WEEKDAYS = _word_set("monday tuesday wednesday thursday friday saturday sunday")
# Month names that are never other words; "march" and "may" count when capitalised.
MONTHS = _word_set("january february april june july august september october november december")
AMBIGUOUS_MONTHS = frozenset({"march", "may"})
RELATIVE_DAYS = _word_set(
    """today tonight tomorrow yesterday last_week next_week this_week
    last_month next_month this_month last_year next_year"""
)
NUMBER_WORDS: dict[str, str] = {
    word: str(value)
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
    # "one" is as often a pronoun: "choose a new one".
    if word != "one"
}
# Contractions spelled out, so their negation counts: "won't" -> "will not".
CONTRACTIONS: tuple[tuple[str, str], ...] = (
    ("won't", "will not"),
    ("can't", "can not"),
    ("shan't", "shall not"),
    ("n't", " not"),
    ("'re", " are"),
    ("'ve", " have"),
    ("'ll", " will"),
    ("'d", " would"),
    ("'m", " am"),
    ("'s", ""),
)
