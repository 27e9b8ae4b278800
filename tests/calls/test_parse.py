"""Reading Vapi and Retell call payloads into one call record: units, quirks, end reasons."""

from __future__ import annotations

import pytest

from otel_replay.calls.payloads import Platform, call_platform, parse_call_document
from otel_replay.calls.record import CallRecord, ToolUse
from otel_replay.calls.vapi import speech_ms
from otel_replay.core.errors import BadInputError
from otel_replay.semconv.calls import Utterance
from tests.calls.support import (
    BUCKET_REASONS,
    FAGI_VAPI_CALL,
    RETELL_SPEC_CALL,
    RETELL_TOOLS,
    VAPI_BARGE_IN,
    VAPI_MISSING_DURATIONS,
    load,
    record_of,
    retell_webhook,
    vapi_report,
)


def _utterances(record: CallRecord) -> list[Utterance]:
    return [e for e in record.events if isinstance(e, Utterance)]


def test_a_vapi_report_is_read_from_the_report_not_from_the_call_as_created() -> None:
    record = record_of(load(VAPI_BARGE_IN))
    assert (record.platform, record.source, record.call_id) == (
        "vapi",
        "vapi.end_of_call_report",
        "call-synth-barge-in",
    )
    assert record.end_reason == "customer-ended-call"
    assert record.end_reason_bucket == "completed_user"
    assert record.cost_usd == pytest.approx(0.0812)  # sent as the string "0.0812"
    assert record.duration_ms == 14_000  # endedAt - startedAt
    assert record.direction == "inbound"
    recordings = record.recordings
    assert recordings.mixed == "https://storage.example.com/call-synth-barge-in-mono.wav"
    assert recordings.stereo == "https://storage.example.com/call-synth-barge-in-stereo.wav"
    assert recordings.user == "https://storage.example.com/call-synth-barge-in-customer.wav"
    assert recordings.agent == "https://storage.example.com/call-synth-barge-in-assistant.wav"
    assert record.native_metrics is not None
    assert record.native_metrics["numAssistantInterrupted"] == 1


def test_vapi_offsets_come_from_seconds_from_start_and_spans_from_time_and_end_time() -> None:
    record = record_of(load(VAPI_BARGE_IN))
    spoken = _utterances(record)
    assert [(u.role, u.start_ms, u.end_ms, u.speech_ms) for u in spoken] == [
        ("agent", 500, 2100, 1500),
        ("user", 2600, 4600, 1900),  # `duration` sent as the string "1900"
        ("agent", 5200, 6400, 1100),
        ("agent", 6800, 10800, 3900),
        ("user", 9500, 11000, 1400),
        ("agent", 11600, 12800, 1100),
    ]
    assert record.recording_start_unix_ms == 1793613600250  # time - secondsFromStart


def test_vapi_durations_in_seconds_strings_or_missing_are_read_for_what_they_are() -> None:
    record = record_of(load(VAPI_MISSING_DURATIONS))
    spoken = _utterances(record)
    assert [(u.start_ms, u.end_ms, u.speech_ms) for u in spoken] == [
        (400, None, None),  # no endTime, no duration: the end is unknown, not the start
        (2000, 2600, 600),  # 0.6: seconds, as the API reference says
        (3100, 6000, 2900),  # "2.9"
        (7000, None, None),
        (8200, 8900, 700),  # 700: milliseconds, as real calls send it; no `time` at all
    ]
    assert record.cost_usd == pytest.approx(0.02)
    assert record.duration_ms == 31_500  # legacy durationSeconds "31.5"
    assert record.recordings.mixed == (
        "https://storage.example.com/call-synth-missing-durations.wav"
    )
    assert record.end_reason_bucket == "completed_agent"


@pytest.mark.parametrize(
    ("duration", "span_ms", "expected"),
    [
        (932, None, 932),
        (0.932, None, 932),
        ("2.5", None, 2500),
        (1200, 1300, 1200),  # nearer the utterance's span as milliseconds
        (1.2, 1300, 1200),  # nearer as seconds
        (-1, None, None),
        ("soon", None, None),
    ],
)
def test_vapi_speech_duration_unit_is_told_apart(
    duration: object, span_ms: int | None, expected: int | None
) -> None:
    assert speech_ms(duration, span_ms) == expected  # type: ignore[arg-type]


def test_a_vapi_call_object_with_legacy_top_level_messages_is_read() -> None:
    record = record_of(load(FAGI_VAPI_CALL))
    assert record.source == "vapi.call"
    assert [(u.role, u.text, u.start_ms, u.speech_ms) for u in _utterances(record)] == [
        ("user", "Hello, can you help me?", 1500, 932),
        ("agent", "Of course! What can I do for you?", 3443, 1810),
        ("user", "Book me a flight.", 6050, 1200),
    ]
    assert record.recordings.mixed == "https://example.com/rec.wav"
    assert record.recordings.stereo == "https://example.com/rec_stereo.wav"
    assert record.cost_usd == pytest.approx(0.0234)
    assert record.duration_ms == 90_000
    assert record.config.system_prompt == "You are a helpful assistant."


def test_retell_word_times_become_milliseconds_and_cents_become_dollars() -> None:
    record = record_of(load(RETELL_TOOLS))
    assert record.source == "retell.call_analyzed"
    assert record.cost_usd == pytest.approx(0.125)  # combined_cost 12.5 cents
    assert record.duration_ms == 21_000
    spoken = _utterances(record)
    assert [(u.role, u.start_ms, u.end_ms) for u in spoken] == [
        ("agent", 600, 2050),
        ("user", 3000, 5050),
        ("agent", 5400, 6850),
        ("agent", 7500, 10750),
        ("user", 11000, 11550),
        ("agent", 12200, 12450),
    ]
    (tool,) = [e for e in record.events if isinstance(e, ToolUse)]
    assert tool == ToolUse(
        name="check_availability",
        call_id="tc_avail_1",
        arguments={"day": "tomorrow", "time": "16:00"},
        result="calendar unavailable",
        has_result=True,
        error="calendar unavailable",
        call_ms=5500,
        result_ms=6900,
    )
    assert record.recordings.stereo == (
        "https://storage.example.com/call_synth_retell_tools-multi.wav"
    )


def test_a_retell_transcript_object_cut_short_is_completed_from_the_transcript_text() -> None:
    record = record_of(load(RETELL_SPEC_CALL))
    spoken = _utterances(record)
    assert [u.role for u in spoken] == ["agent", "user", "agent", "user", "agent", "user", "agent"]
    assert (spoken[0].start_ms, spoken[0].end_ms) == (700, 1300)
    assert all(u.start_ms is None for u in spoken[1:])
    assert spoken[-1].text == "have a nice day"
    assert record.cost_usd == pytest.approx(0.70)


@pytest.mark.parametrize(("bucket", "vapi_reason", "retell_reason"), BUCKET_REASONS)
def test_each_end_reason_falls_in_its_bucket_on_both_platforms(
    bucket: str, vapi_reason: str, retell_reason: str
) -> None:
    assert record_of(vapi_report("c-vapi", vapi_reason)).end_reason_bucket == bucket
    assert record_of(retell_webhook("c-retell", retell_reason)).end_reason_bucket == bucket


def test_a_call_without_an_end_reason_has_no_bucket() -> None:
    record = record_of(vapi_report("c-vapi", None))
    assert (record.end_reason, record.end_reason_bucket) == (None, None)


@pytest.mark.parametrize(
    ("document", "platform"),
    [
        (vapi_report("c", "voicemail"), Platform.VAPI),
        ({"message": {"type": "status-update", "status": "ringing"}}, Platform.VAPI),
        ({"id": "c", "orgId": "o", "type": "webCall"}, Platform.VAPI),
        ({"call": {"id": "c", "endedReason": "voicemail"}, "assistant": {}}, Platform.VAPI),
        (retell_webhook("c", "user_hangup"), Platform.RETELL),
        ({"call_id": "c", "call_type": "web_call"}, Platform.RETELL),
        ({"call": {"call_id": "c", "agent_id": "a"}}, Platform.RETELL),
        ({"resourceSpans": []}, None),
        ({"id": "c"}, None),
        ([1, 2], None),
    ],
)
def test_the_platform_of_a_document_is_recognised(
    document: object, platform: Platform | None
) -> None:
    assert call_platform(document) is platform  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"resourceSpans": []}, "not a Vapi or Retell call"),
        ({"message": {"type": "status-update"}}, "holds no finished call (event status-update)"),
        (retell_webhook("c", None, event="call_started"), "holds no finished call"),
        (
            {"call": {"id": "c", "endedReason": "voicemail"}, "assistant": "gpt"},
            "'assistant' must be an object",
        ),
        ({"message": {"type": "end-of-call-report", "call": {}}}, "the Vapi call has no id"),
    ],
)
def test_what_is_not_a_finished_call_is_refused_with_the_reason(
    document: object, message: str
) -> None:
    with pytest.raises(BadInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_call_document(document)  # type: ignore[arg-type]


def test_presigned_and_scrubbed_recordings_stand_in_for_missing_ones() -> None:
    report = vapi_report("c-presigned", "voicemail")
    report["message"]["artifact"].update(
        presignedMonoUrl="https://s.example.com/mono?sig=1",
        presignedCustomerUrl="https://s.example.com/customer?sig=1",
    )
    recordings = record_of(report).recordings
    assert recordings.mixed == "https://s.example.com/mono?sig=1"
    assert recordings.user == "https://s.example.com/customer?sig=1"
    assert recordings.stereo is None
    retell = retell_webhook("c-scrubbed", "user_hangup")
    retell["call"]["scrubbed_recording_multi_channel_url"] = "https://s.example.com/multi.wav"
    assert record_of(retell).recordings.stereo == "https://s.example.com/multi.wav"
