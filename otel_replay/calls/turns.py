"""Pure: the events of a call -> its greeting and turns, one per user-to-agent exchange.

A turn starts at user speech that follows agent speech or a tool call (consecutive user
utterances, a pause mid-sentence, are one turn); what the agent said before the user first
spoke is the greeting. Within a turn, the agent's answer is cut into steps, one per model
answer: what it said, then the tools it asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from otel_replay.calls.record import Event, ToolUse
from otel_replay.semconv.calls import Utterance


@dataclass
class Turn:
    user: list[Utterance] = field(default_factory=list)
    agent: list[Event] = field(default_factory=list)  # agent utterances and tool uses


def group_turns(events: Sequence[Event]) -> tuple[list[Utterance], list[Turn]]:
    """(the greeting, the turns): one turn per user-to-agent exchange."""
    greeting: list[Utterance] = []
    turns: list[Turn] = []
    for event in events:
        if isinstance(event, Utterance) and event.role == "user":
            if not turns or turns[-1].agent:
                turns.append(Turn())
            turns[-1].user.append(event)
        elif not turns and isinstance(event, Utterance):
            greeting.append(event)
        else:
            if not turns:
                turns.append(Turn())  # a tool call before anyone spoke
            turns[-1].agent.append(event)
    return greeting, turns


def interrupted_indices(events: Sequence[Event]) -> set[int]:
    """Indices (in `events`) of agent utterances that the next user speech started inside."""
    cut: set[int] = set()
    next_user_start: int | None = None
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        if not isinstance(event, Utterance):
            continue
        if event.role == "user":
            next_user_start = event.start_ms
        elif before(next_user_start, event.end_ms):
            cut.add(i)
    return cut


def before(earlier: int | None, later: int | None) -> bool:
    """Whether both times are known and the first is before the second."""
    return earlier is not None and later is not None and earlier < later


def joined_text(utterances: Sequence[Utterance]) -> str | None:
    joined = " ".join(u.text for u in utterances if u.text)
    return joined or None


def last_end(utterances: Sequence[Utterance]) -> int | None:
    ends = [u.end_ms for u in utterances if u.end_ms is not None]
    return max(ends) if ends else None


def first_start(utterances: Sequence[Utterance]) -> int | None:
    starts = [u.start_ms for u in utterances if u.start_ms is not None]
    return min(starts) if starts else None


@dataclass
class Step:
    """One model answer: what the agent said, then the tools it asked for."""

    said: list[Utterance] = field(default_factory=list)
    tools: list[ToolUse] = field(default_factory=list)


def answer_steps(agent: Sequence[Event]) -> list[Step]:
    steps: list[Step] = []
    for event in agent:
        if not steps or (isinstance(event, Utterance) and steps[-1].tools):
            steps.append(Step())
        if isinstance(event, Utterance):
            steps[-1].said.append(event)
        else:
            steps[-1].tools.append(event)
    return steps
