"""The rank of a missing key, shared by the row builder and the readers of summaries (which
must not import the row builder and protobuf)."""

from __future__ import annotations

# The rank of a trace none of whose spans carried a session (or user) key: below every key.
# Migration 4 spells it as the user_rank column's default.
NO_RANK = 1_000_000
