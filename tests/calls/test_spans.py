"""A call as spans in the voice-call convention, and read back into a conversation."""

from __future__ import annotations

import json

import pytest

from otel_replay.core.records import Span, StatusCode
from otel_replay.semconv.attributes import GenAI, General, VoiceCall
from otel_replay.semconv.calls import turn_timing, utterances_from
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.model import LinkedBy, SpanRole
from tests.calls.support import (
    CALL_FILES,
    RETELL_SPEC_CALL,
    RETELL_TOOLS,
    VAPI_BARGE_IN,
    VAPI_MISSING_DURATIONS,
    conversation_of,
    load,
    spans_of,
    vapi_report,
)

BASE_NS = 1793613600250 * 1_000_000  # the barge-in call's recording start


def _named(spans: list[Span], name: str) -> list[Span]:
    return [s for s in spans if s.name == name]


def _root(spans: list[Span]) -> Span:
    (root,) = _named(spans, VoiceCall.SPAN_CALL)
    return root


@pytest.mark.parametrize("case", sorted(CALL_FILES))
def test_a_call_is_one_trace_whose_session_is_the_call_id(case: str) -> None:
    path, call_id, turns = CALL_FILES[case]
    spans = spans_of(load(path))
    assert len({s.trace_id for s in spans}) == 1
    assert all(s.attributes[General.SESSION_ID] == call_id for s in spans)
    conversation = conversation_of(load(path))
    assert conversation.session_id == call_id
    assert len(conversation.turns) == turns
    assert classify_span(_root(spans)) is SpanRole.VOICE_SESSION
    assert all(classify_span(s) is SpanRole.VOICE_TURN for s in _named(spans, "voice.turn"))


def test_turns_are_user_to_agent_exchanges_and_the_greeting_stays_on_the_root() -> None:
    spans = spans_of(load(VAPI_BARGE_IN))
    root = _root(spans)
    assert root.attributes[VoiceCall.GREETING_TEXT] == "Acme orders, this is Ada."
    turns = conversation_of(load(VAPI_BARGE_IN)).turns
    assert [t.user_text for t in turns] == [
        "Hi, where is my order 4471?",
        "No, that's all, thanks.",
    ]
    # The reply of a turn that called a tool is the model's answer after the result.
    assert turns[0].assistant_text == (
        "Your order shipped and arrives on Friday. Is there anything else I can help"
    )
    assert turns[1].assistant_text == "You're welcome, goodbye!"
    assert all(not t.notes for t in turns)


def test_a_barge_in_marks_the_cut_turn_and_the_turn_that_cut_in() -> None:
    spans = spans_of(load(VAPI_BARGE_IN))
    timings = sorted(
        (t for s in _named(spans, "voice.turn") if (t := turn_timing(s)) is not None),
        key=lambda t: t.index,
    )
    first, second = timings
    assert (first.agent_interrupted, first.barge_in) == (True, False)
    assert (second.agent_interrupted, second.barge_in) == (False, True)
    assert (first.user_start_ms, first.user_end_ms) == (2600, 4600)
    assert (first.agent_start_ms, first.agent_end_ms) == (5200, 10800)
    assert (second.user_start_ms, second.agent_start_ms) == (9500, 11600)
    assert not first.agent_talked_over
    cut = [
        u for u in utterances_from(_root(spans).attributes[VoiceCall.UTTERANCES]) if u.interrupted
    ]
    assert [u.text for u in cut] == [
        "Your order shipped and arrives on Friday. Is there anything else I can help"
    ]
    assert [u.text for u in first.utterances] == [
        "Hi, where is my order 4471?",
        "Let me check that for you.",
        "Your order shipped and arrives on Friday. Is there anything else I can help",
    ]


def test_the_agent_starting_before_the_user_finished_is_talking_over() -> None:
    document = vapi_report("c-talk-over", "customer-ended-call")
    bot = document["message"]["artifact"]["messages"][1]
    bot["time"], bot["secondsFromStart"] = bot["time"] - 800, 0.7  # starts at 700, user ends 900
    (turn,) = [turn_timing(s) for s in _named(spans_of(document), "voice.turn")]
    assert turn is not None and turn.agent_talked_over


def test_tool_calls_keep_arguments_results_and_offsets() -> None:
    spans = spans_of(load(VAPI_BARGE_IN))
    (tool_span,) = _named(spans, "execute_tool lookup_order")
    assert tool_span.attributes[VoiceCall.TOOL_CALL_MS] == 5300
    assert tool_span.attributes[VoiceCall.TOOL_RESULT_MS] == 5900
    assert tool_span.start_time_unix_nano == BASE_NS + 5300 * 1_000_000
    assert tool_span.end_time_unix_nano == BASE_NS + 5900 * 1_000_000
    (tool,) = conversation_of(load(VAPI_BARGE_IN)).turns[0].tool_calls
    assert (tool.name, tool.call_id, tool.linked_by) == (
        "lookup_order",
        "call_lookup_1",
        LinkedBy.CALL_ID,
    )
    assert tool.arguments == {"order_id": "4471"}
    assert tool.result == {"status": "shipped", "eta": "Friday"}


def test_a_failed_tool_result_is_the_tool_calls_error() -> None:
    spans = spans_of(load(RETELL_TOOLS))
    (tool_span,) = _named(spans, "execute_tool check_availability")
    assert tool_span.status_code is StatusCode.ERROR
    (tool,) = conversation_of(load(RETELL_TOOLS)).turns[0].tool_calls
    assert tool.error == "calendar unavailable"
    assert tool.arguments == {"day": "tomorrow", "time": "16:00"}


def test_the_derived_model_calls_carry_the_prompt_their_turn_and_the_tool_round() -> None:
    turns = conversation_of(load(VAPI_BARGE_IN)).turns
    asking, answering = turns[0].llm_calls
    assert asking.system_instructions == "You are Ada, the Acme order desk. The caller is Sam."
    assert (asking.provider, asking.request_model) == ("openai", "gpt-4o-mini")
    assert asking.parameters == {"temperature": 0.3}
    assert [m.text for m in asking.input_messages] == ["Hi, where is my order 4471?"]
    # Each call's input is its own turn: a long call is not sent again on every span.
    (closing,) = turns[1].llm_calls
    assert [m.text for m in closing.input_messages] == ["No, that's all, thanks."]
    assert asking.output_text == "Let me check that for you."
    assert [p.name for p in asking.requested_tool_calls] == ["lookup_order"]
    assert answering.input_messages[-1].tool_results[0].result == {
        "status": "shipped",
        "eta": "Friday",
    }
    assert [t.name for t in asking.tool_definitions] == ["lookup_order"]
    spans = spans_of(load(VAPI_BARGE_IN))
    assert all(
        s.attributes[VoiceCall.LLM_DERIVED] is True for s in spans if s.name.startswith("chat")
    )


def test_the_raw_call_and_the_platforms_metrics_are_kept_verbatim() -> None:
    document = load(VAPI_BARGE_IN)
    root = _root(spans_of(document))
    assert json.loads(str(root.attributes[VoiceCall.RAW])) == document
    native = json.loads(str(root.attributes[VoiceCall.NATIVE_METRICS]))
    assert native == document["message"]["artifact"]["performanceMetrics"]
    assert root.attributes[VoiceCall.END_REASON] == "customer-ended-call"
    assert root.attributes[VoiceCall.END_REASON_BUCKET] == "completed_user"
    assert root.attributes[VoiceCall.COST_USD] == pytest.approx(0.0812)
    assert root.attributes[VoiceCall.RECORDING_USER_URL] == (
        "https://storage.example.com/call-synth-barge-in-customer.wav"
    )
    assert root.attributes[VoiceCall.DURATION_MS] == 14_000
    assert root.end_time_unix_nano - root.start_time_unix_nano == 14_000 * 1_000_000


def test_an_end_reason_not_recorded_is_the_unknown_bucket() -> None:
    root = _root(spans_of(vapi_report("c-none", None)))
    assert root.attributes[VoiceCall.END_REASON_BUCKET] == "unknown"
    assert VoiceCall.END_REASON not in root.attributes


def test_the_same_call_gets_the_same_ids_and_another_call_others() -> None:
    first = [(s.trace_id, s.span_id) for s in spans_of(load(RETELL_TOOLS))]
    again = [(s.trace_id, s.span_id) for s in spans_of(load(RETELL_TOOLS))]
    assert first == again
    assert len(set(first)) == len(first)
    other = spans_of(vapi_report("c-other", "voicemail"))
    assert {s.trace_id for s in other}.isdisjoint({t for t, _ in first})


def test_untimed_turns_keep_the_recorded_order() -> None:
    conversation = conversation_of(load(RETELL_SPEC_CALL))
    assert [t.user_text for t in conversation.turns] == [
        "Doing pretty well. How are you?",
        "I don't have anything in particular.",
        "Alright. See you.",
    ]
    starts = [t.start_unix_nano for t in conversation.turns]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_an_end_that_was_not_recorded_is_left_out() -> None:
    spans = spans_of(load(VAPI_MISSING_DURATIONS))
    second = next(s for s in spans if s.attributes.get(VoiceCall.TURN_INDEX) == 1)
    assert second.attributes[VoiceCall.TURN_USER_START_MS] == 7000
    assert VoiceCall.TURN_USER_END_MS not in second.attributes
    model_spans = [s for s in spans if s.attributes.get(GenAI.OPERATION_NAME) == "chat"]
    assert len(model_spans) == 2


def test_a_call_the_user_never_spoke_on_reads_as_its_greeting_alone() -> None:
    document = vapi_report("c-voicemail", "voicemail")
    document["message"]["artifact"]["messages"] = document["message"]["artifact"]["messages"][1:]
    (turn,) = conversation_of(document).turns
    assert (turn.user_text, turn.assistant_text) == (None, "Hi there.")
    never_connected = vapi_report("c-no-answer", "customer-did-not-answer")
    del never_connected["message"]["artifact"], never_connected["message"]["startedAt"]
    never_connected["message"]["timestamp"] = 1793624460000
    root = _root(spans_of(never_connected))
    assert root.start_time_unix_nano == 1793624460000 * 1_000_000  # the report's own time
