"""The voice configuration on the call (`Scenario.agent.voice`): read from each source, and
round-tripped through spans, the session and the scenario file."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_replay.scenario.emit import emit_scenario
from otel_replay.scenario.files import read_scenario, write_scenario
from otel_replay.scenario.model import ToolSpec, VoiceSnapshot
from tests.calls.support import (
    CALL_FILES,
    FAGI_VAPI_CALL,
    RETELL_AGENT_EXPORT,
    RETELL_SPEC_CALL,
    RETELL_TOOLS,
    VAPI_ASSISTANT,
    VAPI_BARGE_IN,
    VAPI_MISSING_DURATIONS,
    conversation_of,
    load,
    record_of,
    with_config,
)


def test_a_vapi_report_snapshot_is_its_resolved_assistant_with_the_prompt_as_sent() -> None:
    snapshot = record_of(load(VAPI_BARGE_IN)).config
    assert snapshot.model_dump(exclude={"raw", "tools"}) == {
        "platform": "vapi",
        "agent_id": "asst-synth-ada",
        "agent_name": "Ada order desk",
        "agent_version": "v3",
        # The rendered system message, not the template `{{customer.name}}`.
        "system_prompt": "You are Ada, the Acme order desk. The caller is Sam.",
        "first_message": "Acme orders, this is Ada.",
        "first_speaker": "agent",
        "llm_provider": "openai",
        "llm_model": "gpt-4o-mini",
        "temperature": 0.3,
        "voice_provider": "11labs",
        "voice_id": "ada-voice",
        "transcriber_provider": "deepgram",
        "transcriber_model": "nova-2",
        "language": "en",
        "endpointing": {
            "startSpeakingPlan": {"waitSeconds": 0.4},
            "stopSpeakingPlan": {"numWords": 2, "voiceSeconds": 0.2},
            "silenceTimeoutSeconds": 20,
            "transcriber.endpointing": 300,
        },
        "source": "eocr.assistant",
        "variables": {},  # the report names no variable values
    }
    (tool,) = snapshot.tools
    assert tool.name == "lookup_order"
    assert tool.parameters == {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    }
    assert snapshot.raw == {"assistant": load(VAPI_BARGE_IN)["message"]["assistant"]}


def test_a_vapi_assistant_fetched_apart_fills_the_snapshot_of_a_call_object() -> None:
    snapshot = record_of(with_config(FAGI_VAPI_CALL, "assistant", VAPI_ASSISTANT)).config
    assert snapshot.source == "file.assistant"
    assert (snapshot.agent_id, snapshot.agent_name) == ("asst_x1", "Healthcare Receptionist")
    # What the call's system message says was sent wins over the configured prompt.
    assert snapshot.system_prompt == "You are a helpful assistant."
    assert (snapshot.llm_model, snapshot.temperature) == ("gpt-4o", 0.7)
    assert (snapshot.voice_provider, snapshot.voice_id) == ("11labs", "sarah")
    assert (snapshot.transcriber_model, snapshot.language) == ("nova-2", "en")
    assert snapshot.first_message.startswith("Hello! Thank you for calling Acme Healthcare")
    assert [t.name for t in snapshot.tools] == [
        "lookup_patient",
        "get_available_slots",
        "book_appointment",
        "transfer_call",
        "end_call",
    ]
    assert snapshot.endpointing == {"silenceTimeoutSeconds": 30, "maxDurationSeconds": 600}


def test_assistant_overrides_apply_over_the_calls_assistant() -> None:
    document = load(FAGI_VAPI_CALL)
    document["call"]["assistant"] = load(VAPI_ASSISTANT)
    document["call"]["assistantOverrides"] = {"model": {"temperature": 0.1}}
    snapshot = record_of(document).config
    assert snapshot.source == "call.assistant"
    assert (snapshot.llm_model, snapshot.temperature) == ("gpt-4o", 0.1)


def test_without_an_assistant_the_vapi_snapshot_comes_from_what_the_call_cost() -> None:
    snapshot = record_of(load(VAPI_MISSING_DURATIONS)).config
    assert snapshot.source == "call"
    assert (snapshot.llm_provider, snapshot.llm_model) == ("openai", "gpt-4o-mini")
    assert (snapshot.voice_provider, snapshot.voice_id) == ("cartesia", "sonic-ada")
    assert (snapshot.transcriber_provider, snapshot.transcriber_model) == ("deepgram", "nova-3")
    assert snapshot.first_speaker == "agent"  # who spoke first on the recording


def test_a_retell_snapshot_is_the_agent_version_and_its_llm_with_variables_filled_in() -> None:
    snapshot = record_of(load(RETELL_TOOLS)).config
    assert (snapshot.platform, snapshot.source) == ("retell", "file.agent")
    assert (snapshot.agent_id, snapshot.agent_name, snapshot.agent_version) == (
        "agent_synth_bookings",
        "Bookings",
        "4",
    )
    assert snapshot.system_prompt == "You book appointments for Sam."
    assert (snapshot.first_message, snapshot.first_speaker) == (
        "Hi Sam, this is Bookings.",
        "agent",
    )
    assert (snapshot.llm_provider, snapshot.llm_model, snapshot.temperature) == (
        "retell-llm",
        "gpt-4.1",
        0.2,
    )
    assert (snapshot.voice_provider, snapshot.voice_id) == ("11labs", "11labs-Adrian")
    assert (snapshot.transcriber_provider, snapshot.language) == (None, "en-US")
    assert snapshot.endpointing == {
        "interruption_sensitivity": 0.8,
        "responsiveness": 1,
        "end_call_after_silence_ms": 30000,
    }
    assert [t.name for t in snapshot.tools] == ["check_availability", "end_call"]


def test_a_retell_dashboard_export_fills_the_snapshot_with_every_states_tools() -> None:
    snapshot = record_of(with_config(RETELL_SPEC_CALL, "agent", RETELL_AGENT_EXPORT)).config
    assert snapshot.agent_id == "oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD"  # the call's, not the export's
    assert snapshot.agent_version == "1"
    assert snapshot.llm_model == "gpt-4o"
    assert snapshot.temperature == 0
    assert snapshot.system_prompt is not None
    assert snapshot.system_prompt.startswith("You are a helpful medical receptionist")
    assert [t.name for t in snapshot.tools] == [
        "end_call",
        "transfer_to_nurse",
        "lookup_patient",
        "get_available_slots",
        "book_appointment",
    ]
    assert snapshot.voice_id == "eleven_labs_emma"


@pytest.mark.parametrize("case", sorted(CALL_FILES))
def test_the_snapshot_round_trips_into_the_scenario_file(case: str, tmp_path: Path) -> None:
    path, _, _ = CALL_FILES[case]
    document = load(path)
    expected = record_of(document).config
    scenario = emit_scenario(conversation_of(document))
    written = tmp_path / "scenario.json"
    write_scenario(scenario, written)
    loaded = read_scenario(written)
    assert loaded.agent.voice == expected
    assert loaded == scenario
    if expected.system_prompt is not None:
        assert loaded.agent.system_prompt == expected.system_prompt


def test_the_snapshot_model_validates_its_tools() -> None:
    snapshot = VoiceSnapshot(platform="vapi", tools=[ToolSpec(name="t", parameters={"a": 1})])
    assert VoiceSnapshot.model_validate_json(snapshot.model_dump_json()) == snapshot


def test_an_assistant_that_waits_for_the_user_lets_the_user_speak_first() -> None:
    document = load(VAPI_BARGE_IN)
    document["message"]["assistant"]["firstMessageMode"] = "assistant-waits-for-user"
    assert record_of(document).config.first_speaker == "user"
    conversation = conversation_of(load(VAPI_BARGE_IN))
    assert conversation.agent.name == "Ada order desk"
