"""Session and user ids of a trace (docs/semconv.md section 10.1-10.2).

Ids are resolved per trace, not per span: some spans (OTel `execute_tool`, AI SDK
`ai.toolCall`) never carry them, so any span of the trace that has a key speaks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, TypeVar

from otel_replay.core.records import Span
from otel_replay.semconv.attributes import (
    GenAI,
    Langfuse,
    LiveKit,
    OpenInference,
    OpenLLMetry,
    Pipecat,
    PydanticAI,
    Vercel,
)
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS, DEFAULT_USER_KEYS
from otel_replay.semconv.values import as_str

V = TypeVar("V")


class Ranked(NamedTuple):
    """An id and the rank of the key it came from: lower is better, 0 the best there is."""

    rank: int
    value: str


class Identity(NamedTuple):
    """The best session and user ids found so far; None where no key was seen."""

    session: Ranked | None = None
    user: Ranked | None = None

    @property
    def settled(self) -> bool:
        """True when both ids came from the first key: no other span can change them."""
        return (
            self.session is not None
            and self.session.rank == 0
            and self.user is not None
            and self.user.rank == 0
        )

    def best(self, other: Identity) -> Identity:
        """Each id from whichever side ranks better (this side on ties)."""
        return Identity(_better(self.session, other.session), _better(self.user, other.user))


NO_IDENTITY = Identity()


def _better(first: Ranked | None, second: Ranked | None) -> Ranked | None:
    if second is None or (first is not None and first.rank <= second.rank):
        return first
    return second


_UNRANKED = 1 << 62  # the rank of a key that is not in a list: worse than any rank

# key -> (its rank among session keys, its rank among user keys).
_RankTable = Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class IdentityKeys:
    """Session and user keys in priority order, as lookup tables.

    Ranks: a key on a span ranks by its place in its list; the same key on a resource ranks
    after every key on a span; Pipecat's STT `user_id` ranks last of the user keys.
    """

    session_keys: tuple[str, ...]
    user_keys: tuple[str, ...]
    span_ranks: _RankTable
    stt_span_ranks: _RankTable
    resource_ranks: _RankTable
    # Every key any table ranks: a caller holding many attributes may pass only these.
    wanted: frozenset[str]


def _rank_table(
    session_keys: Sequence[str], user_keys: Sequence[str], offset: tuple[int, int]
) -> dict[str, tuple[int, int]]:
    session = {key: offset[0] + i for i, key in reversed(list(enumerate(session_keys)))}
    user = {key: offset[1] + i for i, key in reversed(list(enumerate(user_keys)))}
    return {
        key: (session.get(key, _UNRANKED), user.get(key, _UNRANKED)) for key in (*session, *user)
    }


@lru_cache(maxsize=16)
def identity_keys(
    session_keys: tuple[str, ...] = DEFAULT_SESSION_KEYS,
    user_keys: tuple[str, ...] = DEFAULT_USER_KEYS,
) -> IdentityKeys:
    """The lookup tables of these key lists (cached: build once, use for every span)."""
    span_ranks = _rank_table(session_keys, user_keys, (0, 0))
    stt_span_ranks = dict(span_ranks)
    if Pipecat.USER_ID not in stt_span_ranks:
        stt_span_ranks[Pipecat.USER_ID] = (_UNRANKED, 2 * len(user_keys))
    resource_ranks = _rank_table(session_keys, user_keys, (len(session_keys), len(user_keys)))
    wanted = frozenset((*stt_span_ranks, *resource_ranks))
    return IdentityKeys(session_keys, user_keys, span_ranks, stt_span_ranks, resource_ranks, wanted)


def _find_identity(
    ranks: _RankTable,
    attributes: Iterable[tuple[str, V]],
    text_of: Callable[[V], str | None],
    start: Identity,
) -> Identity:
    session, user = start
    session_rank = session.rank if session is not None else _UNRANKED
    user_rank = user.rank if user is not None else _UNRANKED
    session_text: str | None = None
    user_text: str | None = None
    get = ranks.get
    for key, raw in attributes:
        ranked = get(key)
        if ranked is None:
            continue
        key_session_rank, key_user_rank = ranked
        if key_session_rank >= session_rank and key_user_rank >= user_rank:
            continue  # cannot better what is found: the value is not read
        text = text_of(raw)
        if text is None:
            continue
        if key_session_rank < session_rank:
            session_rank, session_text = key_session_rank, text
        if key_user_rank < user_rank:
            user_rank, user_text = key_user_rank, text
    if session_text is None and user_text is None:
        return start
    return Identity(
        Ranked(session_rank, session_text) if session_text is not None else session,
        Ranked(user_rank, user_text) if user_text is not None else user,
    )


def find_span_identity(
    keys: IdentityKeys,
    span_name: str,
    attributes: Iterable[tuple[str, V]],
    text_of: Callable[[V], str | None],
    start: Identity = NO_IDENTITY,
) -> Identity:
    """The best session and user ids among one span's attributes, in one pass.

    `attributes` are (key, value) pairs, all of them or only those whose key is in
    `keys.wanted`; `text_of` turns a value into an id (None when it is none), so that callers
    holding protobuf attributes convert only the values of identity keys. `start` holds ids
    found before (on the span's resource, say); the span's own replace them only when better.
    """
    ranks = keys.stt_span_ranks if span_name == Pipecat.SPAN_STT else keys.span_ranks
    return _find_identity(ranks, attributes, text_of, start)


def find_resource_identity(
    keys: IdentityKeys, attributes: Iterable[tuple[str, V]], text_of: Callable[[V], str | None]
) -> Identity:
    """Like `find_span_identity`, for a resource's attributes (ranked after any span's)."""
    return _find_identity(keys.resource_ranks, attributes, text_of, NO_IDENTITY)


def resolve_identity(spans: Iterable[Span], keys: IdentityKeys | None = None) -> Identity:
    """The session and user ids of these spans (a trace, or a session's traces).

    The best-ranked key on any span wins, the earliest span on ties; keys on resources count
    only after every span's.
    """
    keys = keys or identity_keys()
    found = Identity()
    resources: dict[int, Identity] = {}
    for span in spans:
        if found.settled:
            break
        found = found.best(find_span_identity(keys, span.name, span.attributes.items(), as_str))
        resource = span.resource
        if id(resource) not in resources:
            resources[id(resource)] = find_resource_identity(
                keys, resource.attributes.items(), as_str
            )
    for resource_identity in resources.values():
        found = found.best(resource_identity)
    return found


def resolve_session_id(
    trace_spans: Sequence[Span], keys: Sequence[str] = DEFAULT_SESSION_KEYS
) -> str | None:
    """The first session key (in key order) on any span, then on any resource; else None."""
    session = resolve_identity(trace_spans, identity_keys(tuple(keys))).session
    return session.value if session is not None else None


def resolve_user_id(spans: Sequence[Span]) -> str | None:
    """The first user key on any span, then on any resource; Pipecat's STT `user_id` last."""
    user = resolve_identity(spans).user
    return user.value if user is not None else None


def _first_value(spans: Sequence[Span], keys: Iterable[str]) -> str | None:
    """The value of the best-ranked key on any span (earliest span on ties), then likewise
    on any resource. One pass over the spans' attributes, not one per key."""
    rank = {key: i for i, key in enumerate(keys)}
    for source in ("attributes", "resource"):
        best: tuple[int, str] | None = None
        for span in spans:
            attributes = span.attributes if source == "attributes" else span.resource.attributes
            # Most spans hold none of the keys: one set intersection says so.
            for key in rank.keys() & attributes.keys():
                position = rank[key]
                if best is not None and position >= best[0]:
                    continue
                value = as_str(attributes[key])
                if value is not None:
                    best = (position, value)
                    if position == 0:
                        return value
        if best is not None:
            return best[1]
    return None


# Where each convention names the agent (or app) that answered, in order of preference.
_AGENT_NAME_KEYS: tuple[str, ...] = (
    GenAI.AGENT_NAME,
    OpenInference.AGENT_NAME,
    PydanticAI.AGENT_NAME,
    LiveKit.AGENT_NAME,
    OpenLLMetry.WORKFLOW_NAME,
    Vercel.FUNCTION_ID,
    Langfuse.TRACE_NAME,
)


def resolve_agent_name(spans: Sequence[Span]) -> str | None:
    """The agent's name from any span (then resource) of the conversation."""
    return _first_value(spans, _AGENT_NAME_KEYS)
