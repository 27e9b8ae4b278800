"""The neutral timeline of a voice call: who spoke when, tool calls, how it ended, its cost.

Times are milliseconds from the start of the call (connect), as floats: provider clocks
are in milliseconds with fractions (Vapi) or seconds (Retell, LiveKit, Pipecat).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Speaker(StrEnum):
    USER = "user"
    AGENT = "agent"


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech by one side.

    `start_ms`/`end_ms` bound it (None when the source has no timing); `speech_ms` is the
    time actually spoken when the source says so (Vapi `duration`), else the span is used.
    `interrupted`: an agent utterance the source says was cut off by the user.
    `turn`: the 0-based turn of the conversation it belongs to, when known.
    """

    speaker: Speaker
    text: str
    start_ms: float | None = None
    end_ms: float | None = None
    speech_ms: float | None = None
    interrupted: bool = False
    turn: int | None = None

    @property
    def timed(self) -> bool:
        return self.start_ms is not None and self.end_ms is not None

    @property
    def spoken_ms(self) -> float | None:
        if self.speech_ms is not None:
            return self.speech_ms
        if self.start_ms is None or self.end_ms is None:
            return None
        return max(0.0, self.end_ms - self.start_ms)


@dataclass(frozen=True)
class TimelineToolCall:
    name: str
    arguments: Any = None
    result: Any = None
    start_ms: float | None = None
    end_ms: float | None = None
    turn: int | None = None


@dataclass(frozen=True)
class VoiceTimeline:
    """A call, as every voice metric reads it.

    `source` names the adapter (livekit, pipecat, vapi, retell, text_replay). `estimated`:
    the agent's speech times were modelled, not heard (a text replay, see
    `voice.replayed`), so the metrics that only sound can show are left unknown.
    """

    source: str
    utterances: tuple[Utterance, ...]
    tool_calls: tuple[TimelineToolCall, ...] = ()
    end_reason: str | None = None
    cost_usd: float | None = None
    duration_ms: float | None = None
    estimated: bool = False
    native: dict[str, float] = field(default_factory=dict)

    def ordered(self) -> list[Utterance]:
        """The timed utterances by start time (ties keep the source's order)."""
        timed = [u for u in self.utterances if u.timed]
        return sorted(timed, key=lambda u: u.start_ms or 0.0)
