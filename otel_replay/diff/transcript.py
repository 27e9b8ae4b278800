"""Transcript diff: an original session against its replay, read as two conversations.

Turns are aligned as sequences, not by index: a longest common subsequence over a turn key
(the user's text by default), so a dropped or an inserted turn shifts nothing after it.
Each aligned pair gets a word diff of the assistant reply, a diff of its tool-call sequence
and a reply similarity; the session gets its first divergent turn. The result is data only:
renderers live in `report/`, and `format_tool_change` is the one-line summary they share.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from pydantic import JsonValue

from otel_replay.core.runs import ReplayRun, TurnOrigin, TurnSide
from otel_replay.core.values import to_json_value
from otel_replay.diff.alignment import align_sequences
from otel_replay.semconv.model import Conversation

__all__ = [
    "ToolCallStatus",
    "ToolCallStep",
    "TranscriptDiff",
    "TranscriptToolCall",
    "TranscriptTurn",
    "TurnDiff",
    "TurnKey",
    "TurnStatus",
    "WordOp",
    "WordSegment",
    "describe_divergence",
    "diff_run_transcripts",
    "diff_tool_calls",
    "diff_transcripts",
    "diff_words",
    "format_tool_call",
    "format_tool_calls",
    "format_tool_change",
    "index_key",
    "measure_reply_similarity",
    "transcript_from_conversation",
    "transcripts_from_run",
    "user_text_key",
]


class TranscriptToolCall(NamedTuple):
    """One tool call as a (name, arguments) item; arguments as JSON data."""

    name: str
    arguments: JsonValue = None


@dataclass(frozen=True)
class TranscriptTurn:
    """One turn as a conversation shows it: what was said, which tools ran, what it cost.

    `index` is the recorded turn's 0-based index; a replayed turn keeps its original's.
    Measures are None when not recorded.
    """

    index: int
    user: str | None
    assistant: str | None
    tool_calls: tuple[TranscriptToolCall, ...] = ()
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    errors: int = 0
    trace_id: str | None = None
    llm_calls: int | None = None
    time_to_first_token_ms: float | None = None
    origin: TurnOrigin = TurnOrigin.RECORDED


# Maps a turn to what must be equal for two turns to be "the same turn".
TurnKey = Callable[[TranscriptTurn], Hashable]


def user_text_key(turn: TranscriptTurn) -> Hashable:
    """The user's message: a replay sends the recorded messages again, so they line up."""
    return turn.user


def index_key(turn: TranscriptTurn) -> Hashable:
    """The recorded turn index: pairs a run's replayed turns with the turns they replay."""
    return turn.index


class TurnStatus(StrEnum):
    """How one aligned turn compares."""

    SAME = "same"
    CHANGED = "changed"  # the reply or the tool-call sequence differs
    REMOVED = "removed"  # only in the original
    ADDED = "added"  # only in the replay


class WordOp(StrEnum):
    EQUAL = "equal"
    DELETE = "delete"  # words only the original reply has
    INSERT = "insert"  # words only the replayed reply has


class WordSegment(NamedTuple):
    """A run of words with one op, joined by single spaces."""

    op: WordOp
    text: str


class ToolCallStatus(StrEnum):
    SAME = "same"
    CHANGED = "changed"  # same tool, other arguments
    REMOVED = "removed"
    ADDED = "added"


@dataclass(frozen=True)
class ToolCallStep:
    """One step of the aligned tool-call sequences of a turn."""

    status: ToolCallStatus
    original: TranscriptToolCall | None
    replayed: TranscriptToolCall | None


@dataclass(frozen=True)
class TurnDiff:
    """One original turn, one replayed turn, or an aligned pair.

    `number` is the 1-based turn number people read: the original's, else the replay's.
    Reply and tool diffs of a one-sided turn compare against nothing.
    """

    status: TurnStatus
    number: int
    original: TranscriptTurn | None
    replayed: TranscriptTurn | None
    reply: tuple[WordSegment, ...]
    reply_similarity: float
    reply_changed: bool
    tool_calls: tuple[ToolCallStep, ...]
    tools_changed: bool


@dataclass(frozen=True)
class TranscriptDiff:
    """Two transcripts aligned turn by turn."""

    turns: tuple[TurnDiff, ...]
    # 1-based number of the first turn that is not SAME, in aligned order.
    first_divergent_turn: int | None

    @property
    def is_identical(self) -> bool:
        return self.first_divergent_turn is None

    @property
    def paired(self) -> tuple[TurnDiff, ...]:
        """The turns present on both sides."""
        return tuple(t for t in self.turns if t.original is not None and t.replayed is not None)


def transcript_from_conversation(conversation: Conversation) -> tuple[TranscriptTurn, ...]:
    """The conversation's turns as transcript turns."""
    return tuple(
        TranscriptTurn(
            index=turn.index,
            user=turn.user_text,
            assistant=turn.assistant_text,
            tool_calls=tuple(
                TranscriptToolCall(call.name, to_json_value(call.arguments))
                for call in turn.tool_calls
            ),
            latency_ms=turn.latency_unix_nano / 1e6,
            input_tokens=turn.usage.input_tokens,
            output_tokens=turn.usage.output_tokens,
            errors=len(turn.errors),
            trace_id=turn.trace_id,
            llm_calls=len(turn.llm_calls),
            time_to_first_token_ms=(
                turn.time_to_first_token_unix_nano / 1e6
                if turn.time_to_first_token_unix_nano is not None
                else None
            ),
        )
        for turn in conversation.turns
    )


def _turn_from_side(
    index: int,
    user: str | None,
    side: TurnSide,
    trace_id: str | None,
    origin: TurnOrigin = TurnOrigin.RECORDED,
) -> TranscriptTurn:
    return TranscriptTurn(
        index=index,
        user=user,
        assistant=side.assistant,
        tool_calls=tuple(TranscriptToolCall(c.name, c.arguments) for c in side.tool_calls),
        latency_ms=side.latency_ms,
        input_tokens=side.input_tokens,
        output_tokens=side.output_tokens,
        errors=side.errors,
        trace_id=trace_id,
        llm_calls=side.llm_calls,
        time_to_first_token_ms=side.time_to_first_token_ms,
        origin=origin,
    )


def transcripts_from_run(
    run: ReplayRun,
) -> tuple[tuple[TranscriptTurn, ...], tuple[TranscriptTurn, ...]]:
    """The run's (original, replayed) transcripts; turns that were not replayed appear in
    the original only, turns a simulated user spoke in the replay only."""
    original = tuple(
        _turn_from_side(t.index, t.user, t.original, t.original_trace_id)
        for t in run.turns
        if not t.simulated
    )
    replayed = tuple(
        _turn_from_side(t.index, t.user, t.replayed, t.trace_id, t.origin)
        for t in run.turns
        if t.replayed is not None
    )
    return original, replayed


def _words(text: str | None) -> list[str]:
    return text.split() if text else []


def diff_words(original: str | None, replayed: str | None) -> tuple[WordSegment, ...]:
    """Word-level diff of two replies; whitespace only separates words, so it never differs.

    A replaced run of words is a DELETE followed by an INSERT.
    """
    before, after = _words(original), _words(replayed)
    # autojunk would treat frequent words ("the") as junk in long replies.
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    segments: list[WordSegment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(WordSegment(WordOp.EQUAL, " ".join(before[i1:i2])))
            continue
        if i2 > i1:
            segments.append(WordSegment(WordOp.DELETE, " ".join(before[i1:i2])))
        if j2 > j1:
            segments.append(WordSegment(WordOp.INSERT, " ".join(after[j1:j2])))
    return tuple(segments)


def measure_reply_similarity(original: str | None, replayed: str | None) -> float:
    """Share of words the two replies have in common, in order: 1.0 equal, 0.0 disjoint.

    Two empty replies are equal. This is how much of the wording survived, as the word
    diff shows it; whether the replies say the same thing in other words is the
    `reply_similarity` evaluator's measure (`evals/similarity.py`).
    """
    matcher = difflib.SequenceMatcher(None, _words(original), _words(replayed), autojunk=False)
    return matcher.ratio()


def _steps_between(
    original: Sequence[TranscriptToolCall],
    replayed: Sequence[TranscriptToolCall],
    low: tuple[int, int],
    high: tuple[int, int],
) -> list[ToolCallStep]:
    removed = [
        ToolCallStep(ToolCallStatus.REMOVED, call, None) for call in original[low[0] : high[0]]
    ]
    added = [ToolCallStep(ToolCallStatus.ADDED, None, call) for call in replayed[low[1] : high[1]]]
    return removed + added


def diff_tool_calls(
    original: Sequence[TranscriptToolCall],
    replayed: Sequence[TranscriptToolCall],
    *,
    compare_arguments: bool = True,
) -> tuple[ToolCallStep, ...]:
    """Align two tool-call sequences on tool names; a pair whose arguments differ is CHANGED
    (SAME when `compare_arguments` is false)."""
    pairs = align_sequences([c.name for c in original], [c.name for c in replayed])
    steps: list[ToolCallStep] = []
    cursor = (0, 0)
    for i, j in pairs:
        steps.extend(_steps_between(original, replayed, cursor, (i, j)))
        before, after = original[i], replayed[j]
        same = not compare_arguments or before.arguments == after.arguments
        status = ToolCallStatus.SAME if same else ToolCallStatus.CHANGED
        steps.append(ToolCallStep(status, before, after))
        cursor = (i + 1, j + 1)
    steps.extend(_steps_between(original, replayed, cursor, (len(original), len(replayed))))
    return tuple(steps)


class _Changes(NamedTuple):
    """The diff of one turn's tool calls and reply, and whether each changed: the rule that
    says a turn is CHANGED, and a replay diverged (`describe_divergence`)."""

    steps: tuple[ToolCallStep, ...]
    tools_changed: bool
    reply: tuple[WordSegment, ...]
    reply_changed: bool


def _compare(
    original: TranscriptTurn | None, replayed: TranscriptTurn | None, compare_arguments: bool
) -> _Changes:
    before_calls = original.tool_calls if original else ()
    after_calls = replayed.tool_calls if replayed else ()
    steps = diff_tool_calls(before_calls, after_calls, compare_arguments=compare_arguments)
    reply = diff_words(
        original.assistant if original else None, replayed.assistant if replayed else None
    )
    return _Changes(
        steps,
        any(step.status is not ToolCallStatus.SAME for step in steps),
        reply,
        any(segment.op is not WordOp.EQUAL for segment in reply),
    )


def describe_divergence(
    original: TurnSide, replayed: TurnSide, *, compare_arguments: bool = True
) -> str | None:
    """Why a replayed turn diverges from its recording, None when it does not: its tool-call
    sequence differs (names, order and, with `compare_arguments`, arguments) or its reply
    differs word for word. The same rule marks a turn CHANGED in the transcript diff."""
    before = _turn_from_side(0, None, original, None)
    after = _turn_from_side(0, None, replayed, None)
    changes = _compare(before, after, compare_arguments)
    if changes.tools_changed:
        calls = (format_tool_calls(before.tool_calls), format_tool_calls(after.tool_calls))
        return f"tool calls {calls[0]} -> {calls[1]}"
    if changes.reply_changed:
        return "the reply differs"
    return None


def _diff_turn(
    original: TranscriptTurn | None,
    replayed: TranscriptTurn | None,
    compare_arguments: bool,
) -> TurnDiff:
    steps, tools_changed, reply, reply_changed = _compare(original, replayed, compare_arguments)
    before_text = original.assistant if original else None
    after_text = replayed.assistant if replayed else None
    if original is None or replayed is None:
        status = TurnStatus.REMOVED if replayed is None else TurnStatus.ADDED
        similarity = 0.0
    else:
        changed = reply_changed or tools_changed
        status = TurnStatus.CHANGED if changed else TurnStatus.SAME
        similarity = measure_reply_similarity(before_text, after_text)
    anchor = original or replayed
    assert anchor is not None  # a turn diff always has at least one side
    return TurnDiff(
        status=status,
        number=anchor.index + 1,
        original=original,
        replayed=replayed,
        reply=reply,
        reply_similarity=similarity,
        reply_changed=reply_changed,
        tool_calls=steps,
        tools_changed=tools_changed,
    )


def diff_transcripts(
    original: Sequence[TranscriptTurn],
    replayed: Sequence[TranscriptTurn],
    *,
    key: TurnKey = user_text_key,
    compare_arguments: bool = True,
) -> TranscriptDiff:
    """Align two transcripts on `key` (LCS, in order) and compare every aligned pair.

    Turns left over between two aligned pairs are REMOVED (original) then ADDED (replay).
    With `compare_arguments` false, tool calls differing only in arguments count as equal.
    """
    pairs = align_sequences([key(t) for t in original], [key(t) for t in replayed])
    turns: list[TurnDiff] = []
    next_a = next_b = 0
    for i, j in [*pairs, (len(original), len(replayed))]:
        turns.extend(_diff_turn(turn, None, compare_arguments) for turn in original[next_a:i])
        turns.extend(_diff_turn(None, turn, compare_arguments) for turn in replayed[next_b:j])
        if i < len(original) and j < len(replayed):
            turns.append(_diff_turn(original[i], replayed[j], compare_arguments))
        next_a, next_b = i + 1, j + 1
    first = next((t.number for t in turns if t.status is not TurnStatus.SAME), None)
    return TranscriptDiff(turns=tuple(turns), first_divergent_turn=first)


def diff_run_transcripts(run: ReplayRun, *, compare_arguments: bool = True) -> TranscriptDiff:
    """The transcript diff of a replay run; its turns are paired by recorded index."""
    original, replayed = transcripts_from_run(run)
    return diff_transcripts(original, replayed, key=index_key, compare_arguments=compare_arguments)


# Strings made of these read unambiguously without quotes: ids, numbers, paths, e-mails.
_BARE_STRING = re.compile(r"[\w.:/@+-]+")


def _format_value(value: JsonValue) -> str:
    if isinstance(value, str) and _BARE_STRING.fullmatch(value):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def format_tool_call(call: TranscriptToolCall) -> str:
    """`name(k=v, ...)`: object arguments as k=v in their order, simple strings unquoted,
    everything else as compact JSON."""
    arguments = call.arguments
    if isinstance(arguments, dict):
        inner = ", ".join(f"{k}={_format_value(v)}" for k, v in arguments.items())
    elif arguments is None:
        inner = ""
    else:
        inner = _format_value(arguments)
    return f"{call.name}({inner})"


def format_tool_calls(calls: Sequence[TranscriptToolCall]) -> str:
    """A tool-call sequence on one line; `(none)` when empty."""
    return ", ".join(format_tool_call(c) for c in calls) if calls else "(none)"


def format_tool_change(turn: TurnDiff) -> str | None:
    """`turn 4: issue_refund(order_id=123) -> check_status(order_id=123)`, or None when the
    turn's tool calls did not change."""
    if not turn.tools_changed:
        return None
    before = format_tool_calls(turn.original.tool_calls if turn.original else ())
    after = format_tool_calls(turn.replayed.tool_calls if turn.replayed else ())
    return f"turn {turn.number}: {before} -> {after}"
