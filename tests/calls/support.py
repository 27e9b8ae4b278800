"""The voice call fixtures (tests/fixtures/voice/PROVENANCE.md) and calls made here: one per
end-reason bucket, on both platforms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from otel_replay.calls.payloads import parse_call_document
from otel_replay.calls.record import CallRecord
from otel_replay.calls.spans import call_spans
from otel_replay.core.records import Span
from otel_replay.semconv.model import Conversation
from otel_replay.session.turns import build_conversations
from tests.conftest import FIXTURES

VOICE = FIXTURES / "voice"
SYNTHETIC = VOICE / "synthetic"
FAGI_VAPI_CALL = VOICE / "vapi_get_call.futureagi_fixture.json"
RETELL_SPEC_CALL = VOICE / "retell_get_call.spec_example.json"
VAPI_ASSISTANT = VOICE / "vapi_assistant.voicetest_fixture.json"
RETELL_AGENT_EXPORT = VOICE / "retell_agent_llm_export.voicetest_fixture.json"
VAPI_BARGE_IN = SYNTHETIC / "vapi_eocr_barge_in_tool_call.json"
VAPI_MISSING_DURATIONS = SYNTHETIC / "vapi_get_call_missing_durations.json"
RETELL_TOOLS = SYNTHETIC / "retell_call_analyzed_tool_call.json"

# Every call file a test imports, with the session (call) id it becomes and its turn count.
CALL_FILES: dict[str, tuple[Path, str, int]] = {
    "fagi-vapi-call": (FAGI_VAPI_CALL, "call_test_123", 2),
    "retell-spec-call": (RETELL_SPEC_CALL, "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6", 3),
    "vapi-barge-in": (VAPI_BARGE_IN, "call-synth-barge-in", 2),
    "vapi-missing-durations": (VAPI_MISSING_DURATIONS, "call-synth-missing-durations", 2),
    "retell-tools": (RETELL_TOOLS, "call_synth_retell_tools", 2),
}


def load(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def with_config(call: Path, key: str, config: Path) -> dict[str, Any]:
    """A call file's document with a configuration fetched apart (`assistant`, `agent`)."""
    return {**load(call), key: load(config)}


def record_of(document: dict[str, Any]) -> CallRecord:
    return parse_call_document(document)


def spans_of(document: dict[str, Any]) -> list[Span]:
    return call_spans(record_of(document))


def conversation_of(document: dict[str, Any]) -> Conversation:
    conversations = build_conversations(spans_of(document))
    assert len(conversations) == 1
    return conversations[0]


# (bucket, Vapi endedReason, Retell disconnection_reason): one representative per bucket.
BUCKET_REASONS: tuple[tuple[str, str, str], ...] = (
    ("completed_user", "customer-ended-call", "user_hangup"),
    ("completed_agent", "assistant-said-end-call-phrase", "agent_hangup"),
    ("transferred", "assistant-forwarded-call", "call_transfer"),
    ("voicemail", "voicemail", "voicemail_reached"),
    ("silence", "silence-timed-out", "inactivity"),
    ("max_duration", "exceeded-max-duration", "max_duration_reached"),
    ("not_connected", "customer-did-not-answer", "dial_no_answer"),
    ("error", "pipeline-error-openai-llm-failed", "error_llm_websocket_lost_connection"),
    ("other", "manually-canceled", "manual_stopped"),
)


def vapi_report(call_id: str, reason: str | None) -> dict[str, Any]:
    """A small end-of-call report: one exchange, the given ended reason (None: not given)."""
    start = 1793624400000
    report: dict[str, Any] = {
        "type": "end-of-call-report",
        "call": {"id": call_id, "type": "webCall", "status": "queued"},
        "startedAt": "2026-11-02T13:00:00Z",
        "endedAt": "2026-11-02T13:00:05Z",
        "artifact": {
            "messages": [
                {
                    "role": "user",
                    "message": "Hello?",
                    "time": start + 500,
                    "endTime": start + 900,
                    "secondsFromStart": 0.5,
                    "duration": 400,
                },
                {
                    "role": "bot",
                    "message": "Hi there.",
                    "time": start + 1500,
                    "endTime": start + 2100,
                    "secondsFromStart": 1.5,
                    "duration": 600,
                },
            ]
        },
    }
    if reason is not None:
        report["endedReason"] = reason
    return {"message": report}


def retell_webhook(call_id: str, reason: str | None, event: str = "call_ended") -> dict[str, Any]:
    """A small Retell webhook body: one exchange, the given disconnection reason."""
    call: dict[str, Any] = {
        "call_id": call_id,
        "call_type": "web_call",
        "agent_id": "agent_bucket",
        "call_status": "ended",
        "start_timestamp": 1793624400000,
        "end_timestamp": 1793624405000,
        "transcript_object": [
            {
                "role": "user",
                "content": "Hello?",
                "words": [{"word": "Hello?", "start": 0.5, "end": 0.9}],
            },
            {
                "role": "agent",
                "content": "Hi there.",
                "words": [
                    {"word": "Hi", "start": 1.5, "end": 1.7},
                    {"word": "there.", "start": 1.7, "end": 2.1},
                ],
            },
        ],
    }
    if reason is not None:
        call["disconnection_reason"] = reason
    return {"event": event, "call": call}
