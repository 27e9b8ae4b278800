"""The normalised call record both platforms' parsers fill (docs/semconv.md section 12)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from otel_replay.core.records import AnyValue
from otel_replay.scenario.model import VoiceSnapshot
from otel_replay.semconv.calls import Utterance
from otel_replay.semconv.values import as_float, as_str, parse_json
from otel_replay.voice.end_reasons import EndReasonBucket


@dataclass(frozen=True)
class ToolUse:
    """One tool call the agent made, with its result when one was recorded."""

    name: str
    call_id: str | None
    arguments: AnyValue
    result: AnyValue = None
    has_result: bool = False
    error: str | None = None
    call_ms: int | None = None
    result_ms: int | None = None


Event = Utterance | ToolUse


@dataclass(frozen=True)
class Recordings:
    """Recording URLs (or paths) as the platform gave them."""

    mixed: str | None = None
    stereo: str | None = None
    user: str | None = None
    agent: str | None = None


@dataclass(frozen=True)
class CallRecord:
    """One call, normalised. Offsets are ms from `recording_start_unix_ms`."""

    platform: str
    source: str
    call_id: str
    raw: dict[str, AnyValue]
    events: tuple[Event, ...] = ()
    call_type: str | None = None
    direction: str | None = None
    recording_start_unix_ms: int | None = None
    duration_ms: int | None = None
    end_reason: str | None = None
    end_reason_bucket: EndReasonBucket | None = None  # None: no end reason recorded
    cost_usd: float | None = None
    recordings: Recordings = field(default_factory=Recordings)
    config: VoiceSnapshot = field(default_factory=VoiceSnapshot)
    native_metrics: dict[str, AnyValue] | None = None
    # The post-call analysis (Vapi `analysis`, Retell `call_analysis`), verbatim.
    analysis: dict[str, AnyValue] | None = None

    @property
    def utterances(self) -> tuple[Utterance, ...]:
        return tuple(e for e in self.events if isinstance(e, Utterance))

    @property
    def tool_uses(self) -> tuple[ToolUse, ...]:
        return tuple(e for e in self.events if isinstance(e, ToolUse))


def number(value: AnyValue) -> float | None:
    """A finite number, numbers sent as strings included (Vapi has sent both)."""
    return as_float(value)


# No call is 30,000 years long, nor that far from 1970: a time past this is unreadable.
_MAX_MS = 10**15


def whole_ms(value: float | None) -> int | None:
    """Milliseconds rounded to an int; None for a value no call could hold."""
    if value is None or not math.isfinite(value) or abs(value) > _MAX_MS:
        return None
    return round(value)


def ms(value: AnyValue) -> int | None:
    """A number of milliseconds rounded to an int (strings accepted)."""
    return whole_ms(as_float(value))


def iso_unix_ms(value: AnyValue) -> int | None:
    """An ISO-8601 timestamp (`Z` or an offset) as unix milliseconds; None when unreadable."""
    text = as_str(value)
    if text is None:
        return ms(value)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return ms(text)
    if moment.tzinfo is None:
        return None  # a naive time is not a moment
    return whole_ms(moment.timestamp() * 1000)


def arguments_of(value: AnyValue) -> AnyValue:
    """Tool arguments: JSON text parsed (both platforms send a JSON string)."""
    return parse_json(value) if isinstance(value, str) else value


def text(value: AnyValue) -> str | None:
    """A non-empty string, stripped; anything else is None."""
    return (value.strip() or None) if isinstance(value, str) else None


def obj(value: AnyValue) -> dict[str, AnyValue]:
    """A dict, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


def objs(value: AnyValue) -> list[dict[str, AnyValue]]:
    """The dict items of a list, or none for anything else."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def first(*values: AnyValue) -> AnyValue:
    """The first value that is neither None nor an empty string."""
    return next((v for v in values if v is not None and v != ""), None)


def speaker(value: str | None) -> Literal["agent", "user"] | None:
    """`agent` or `user`; anything else is None."""
    if value == "agent":
        return "agent"
    return "user" if value == "user" else None


def first_speaker_of(events: tuple[Event, ...] | list[Event]) -> Literal["agent", "user"] | None:
    """Who spoke first on the recording."""
    spoken = next((e for e in events if isinstance(e, Utterance)), None)
    return speaker(spoken.role) if spoken is not None else None


_TRANSCRIPT_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{0,30}?)\s*:\s*(.*)$")


def transcript_events(transcript: str, user_speakers: tuple[str, ...]) -> list[Event]:
    """Utterances without times from a "Speaker: words" transcript, one line each; a
    speaker named in `user_speakers` (lowercase) is the user, any other the agent."""
    events: list[Event] = []
    for line in transcript.splitlines():
        match = _TRANSCRIPT_LINE.match(line)
        if match and match.group(2).strip():
            role = "user" if match.group(1).strip().lower() in user_speakers else "agent"
            events.append(Utterance(role=role, text=match.group(2).strip()))
    return events
