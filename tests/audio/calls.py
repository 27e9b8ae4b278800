"""A two-turn voice call for the audio tests: the caller's track as a WAV file and the Vapi
end-of-call report that names it, imported into a store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from otel_replay.audio.pcm import PcmAudio, concatenate, silence, write_wav
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.importer import import_data
from tests.conftest import opened_store

CALL_ID = "call-audio-two-turns"
USER_LINES = ("Hello.", "Where is my order?")
GREETING = "Hello, how can I help you?"
SHIPPING = "Your order ships on Friday."
T0_MS = 1_793_613_600_000


def _message(role: str, text: str, start: int, end: int) -> dict[str, Any]:
    return {
        "role": role,
        "message": text,
        "time": T0_MS + start,
        "endTime": T0_MS + end,
        "secondsFromStart": start / 1000,
        "duration": end - start,
    }


def vapi_call(track: Path, offsets: list[tuple[int, int]]) -> dict[str, Any]:
    """An end-of-call report whose caller spoke USER_LINES at `offsets` (ms) of `track`."""
    messages = [{"role": "system", "message": "You are a shop's phone assistant.", "time": T0_MS}]
    for line, (start, end), reply in zip(USER_LINES, offsets, (GREETING, SHIPPING), strict=True):
        messages.append(_message("user", line, start, end))
        messages.append(_message("bot", reply, end + 700, end + 2200))
    return {
        "message": {
            "type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "startedAt": "2026-11-02T10:00:00.000Z",
            "endedAt": "2026-11-02T10:00:12.000Z",
            "call": {"id": CALL_ID, "type": "webCall", "status": "queued"},
            "artifact": {
                "messages": messages,
                "recording": {"mono": {"customerUrl": str(track)}},
            },
        }
    }


def store_call(folder: Path, synthesizer: Synthesizer) -> str:
    """Write the caller's track into `folder`, import the call; the store's URL."""
    rate = synthesizer.sample_rate
    pieces: list[PcmAudio] = [silence(0.5, rate)]
    offsets, at = [], 0.5
    for line in USER_LINES:
        speech = synthesizer.synthesize(line)
        offsets.append((round(at * 1000), round((at + speech.duration_seconds) * 1000)))
        pieces += [speech, silence(3.0, rate)]
        at += speech.duration_seconds + 3.0
    track = write_wav(folder / "caller.wav", concatenate(pieces, rate))
    url = f"sqlite:///{folder / 'store.db'}"
    for store in opened_store(url):
        import_data(store, [("call.json", json.dumps(vapi_call(track, offsets)).encode())])
    return url
