"""Pure: text as both databases can store and index it, the same on SQLite and PostgreSQL.

Two faults of sender data are permanent on PostgreSQL and are normalised here, on both
dialects alike, before any row is written:

- NUL characters: PostgreSQL text cannot hold U+0000. In the columns that summarise (span
  and root names, session, user and service names, event names, replay runs' text) every NUL
  becomes U+FFFD (the replacement character), so an id with a NUL stays distinct from the same
  id without it, and a listing shows where something was replaced. Columns that are read back
  as data (schema URLs) keep their exact value: one holding a NUL is stored as a marker
  (U+FFFE, a noncharacter) and its JSON string, and read back as it was sent.
- Over-long indexed keys: a btree index row holds at most 2,704 bytes. A session id over
  `MAX_KEY_BYTES` bytes (UTF-8) is stored as its first bytes, an ellipsis and a 32-digit
  hex digest of the whole id: distinct ids stay distinct, and the stored form is what
  listings show and what `--session` looks up.

The exact values stay in each span's stored protobuf message, which is binary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import TypeVar

NUL = "\x00"
REPLACEMENT = "\ufffd"
# Well under PostgreSQL's 2,704-byte btree row, leaving room for the other indexed columns.
MAX_KEY_BYTES = 1024
_DIGEST_CHARS = 32
_ELLIPSIS = "\u2026"
# Bytes of the kept prefix: the digest and the ellipsis (3 bytes in UTF-8) fit after it.
_PREFIX_BYTES = MAX_KEY_BYTES - _DIGEST_CHARS - 3

_EXACT_MARKER = "\ufffe"

RowT = TypeVar("RowT", bound=tuple[object, ...])


def clean_text(value: str) -> str:
    """`value` with each NUL replaced by U+FFFD."""
    return value.replace(NUL, REPLACEMENT) if NUL in value else value


def escape_exact(value: str) -> str:
    """`value` as a column that must read back exactly stores it (see `unescape_exact`)."""
    if NUL in value or value.startswith(_EXACT_MARKER):
        import json  # rarely needed: not loaded to list sessions

        return _EXACT_MARKER + json.dumps(value)
    return value


def unescape_exact(stored: str) -> str:
    """The value `escape_exact` stored."""
    if stored.startswith(_EXACT_MARKER):
        import json

        value: str = json.loads(stored[len(_EXACT_MARKER) :])
        return value
    return stored


def bound_key(value: str) -> str:
    """`value` if it fits an index row, else its first bytes, an ellipsis and its digest."""
    # A character is at most 4 bytes in UTF-8: most ids need no encoding to be known short.
    if len(value) * 4 <= MAX_KEY_BYTES:
        return value
    encoded = value.encode("utf-8", "surrogatepass")
    if len(encoded) <= MAX_KEY_BYTES:
        return value
    import hashlib  # rarely needed: not loaded to list sessions

    prefix = encoded[:_PREFIX_BYTES].decode("utf-8", "ignore")
    digest = hashlib.sha256(encoded).hexdigest()[:_DIGEST_CHARS]
    return f"{prefix}{_ELLIPSIS}{digest}"


def clean_key(value: str) -> str:
    """An indexed key as stored: NULs replaced, then bounded."""
    return bound_key(clean_text(value))


def _needs_cleaning(
    row: Sequence[object], text: Sequence[int], keys: Sequence[int], exact: Sequence[int]
) -> bool:
    for i in exact:
        value = row[i]
        if isinstance(value, str) and (NUL in value or value.startswith(_EXACT_MARKER)):
            return True
    for i in text:
        value = row[i]
        if isinstance(value, str) and NUL in value:
            return True
    for i in keys:
        value = row[i]
        if isinstance(value, str) and len(value) * 4 > MAX_KEY_BYTES:
            return True
    return False


def _column(rows: Sequence[tuple[object, ...]], i: int) -> Iterable[str]:
    """The non-empty values of a text column (str or None)."""
    return filter(None, map(itemgetter(i), rows))


def _all_clean(
    rows: Sequence[tuple[object, ...]],
    text: Sequence[int],
    keys: Sequence[int],
    exact: Sequence[int],
) -> bool:
    """True when no row needs cleaning, found a column at a time (this runs for every span
    received: the loops are in C, and most batches need nothing)."""
    for i in (*text, *exact):
        if NUL in "".join(_column(rows, i)):
            return False
    for i in exact:
        if any(value.startswith(_EXACT_MARKER) for value in _column(rows, i)):
            return False
    return all(max(map(len, _column(rows, i)), default=0) * 4 <= MAX_KEY_BYTES for i in keys)


def clean_rows(
    rows: Iterable[RowT],
    text: Sequence[int],
    keys: Sequence[int] = (),
    exact: Sequence[int] = (),
) -> list[RowT]:
    """Rows with their text fields (`text`, by position) cleaned, their indexed key fields
    (`keys`, also listed in `text`) bounded and their `exact` fields escaped; a row that needs
    none of it is kept as it is."""
    rows = list(rows)
    if _all_clean(rows, text, keys, exact):
        return rows
    cleaned: list[RowT] = []
    for row in rows:
        if not _needs_cleaning(row, text, keys, exact):
            cleaned.append(row)
            continue
        values = list(row)
        for i in exact:
            value = values[i]
            if isinstance(value, str):
                values[i] = escape_exact(value)
        for i in text:
            value = values[i]
            if isinstance(value, str):
                values[i] = clean_key(value) if i in keys else clean_text(value)
        # Row types are named tuples: built from their fields in order.
        cleaned.append(type(row)._make(values))  # type: ignore[attr-defined]
    return cleaned
