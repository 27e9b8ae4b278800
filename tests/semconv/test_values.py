"""Lenient attribute readers: wrong types give None, producer spellings normalise."""

from __future__ import annotations

import pytest

from otel_replay.semconv.model import FinishReason, Role
from otel_replay.semconv.values import (
    as_id,
    as_int,
    first_finish_reason,
    json_container,
    normalise_finish,
    normalise_provider,
    normalise_role,
    parse_json,
    unflatten,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("stop", FinishReason.STOP),
        ("end_turn", FinishReason.STOP),
        ("STOP", FinishReason.STOP),
        ("tool_calls", FinishReason.TOOL_CALL),
        ("tool_call", FinishReason.TOOL_CALL),
        ("tool-calls", FinishReason.TOOL_CALL),
        ("tool_use", FinishReason.TOOL_CALL),
        ("function_call", FinishReason.TOOL_CALL),
        ("length", FinishReason.LENGTH),
        ("max_tokens", FinishReason.LENGTH),
        ("MAX_TOKENS", FinishReason.LENGTH),
        ("content-filter", FinishReason.CONTENT_FILTER),
        ("SAFETY", FinishReason.CONTENT_FILTER),
        ("error", FinishReason.ERROR),
        ("something-new", FinishReason.OTHER),
        ("", None),
        (None, None),
    ],
)
def test_finish_reasons_of_every_producer_normalise(
    raw: str | None, expected: FinishReason | None
) -> None:
    assert normalise_finish(raw) is expected


def test_finish_reasons_read_from_array_json_text_and_langsmith_comma_list() -> None:
    assert first_finish_reason(["tool_calls", "stop"]) == "tool_calls"
    assert first_finish_reason('["length"]') == "length"
    assert first_finish_reason("stop,length") == "stop"
    assert first_finish_reason(42) is None


def test_int64_strings_and_integral_floats_read_as_ints_but_bools_do_not() -> None:
    assert as_int("631") == 631
    assert as_int(17.0) == 17
    assert as_int(True) is None
    assert as_int("12.5") is None
    assert as_int([1]) is None


def test_call_id_pairs_resolve_to_the_tool_call_id() -> None:
    assert as_id(["run_1", "call_1"]) == "call_1"
    assert as_id('["run_1", "call_1"]') == "call_1"
    assert as_id("call_1") == "call_1"
    assert as_id(15) == "15"
    assert as_id([]) is None


def test_unflatten_skips_missing_indices_and_keeps_order() -> None:
    attributes = {
        "llm.input_messages.2.message.role": "user",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.10.message.role": "assistant",
        "llm.input_messages.0.message.content": "be brief",
        "other": 1,
    }
    assert unflatten(attributes, "llm.input_messages") == [
        {"message": {"role": "system", "content": "be brief"}},
        {"message": {"role": "user"}},
        {"message": {"role": "assistant"}},
    ]


def test_unflatten_is_none_when_the_first_level_is_not_indexed() -> None:
    assert unflatten({"gen_ai.prompt.template": "x"}, "gen_ai.prompt") is None
    assert unflatten({"gen_ai.prompt": "[]"}, "gen_ai.prompt") is None


def test_malformed_json_stays_text_and_is_no_container() -> None:
    assert parse_json('{"role": "user"') == '{"role": "user"'
    assert json_container('[{"role": ') is None
    assert json_container('{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("openai.chat", "openai"),
        ("anthropic.messages", "anthropic"),
        ("mistralai", "mistral_ai"),
        ("xai", "x_ai"),
        ("az.ai.openai", "azure.ai.openai"),
        ("Anthropic", "anthropic"),
        ("gcp.vertex_ai", "gcp.vertex_ai"),
        ("aws.bedrock", "aws.bedrock"),
        ("", None),
    ],
)
def test_provider_spellings_map_to_otel_values(raw: str, expected: str | None) -> None:
    assert normalise_provider(raw) == expected


def test_roles_normalise_developer_to_system_and_model_to_assistant() -> None:
    assert normalise_role("developer") is Role.SYSTEM
    assert normalise_role("model") is Role.ASSISTANT
    assert normalise_role("human") is Role.USER
    assert normalise_role("narrator") is Role.OTHER
    assert normalise_role(None) is Role.OTHER


def test_a_bad_closed_set_value_names_the_valid_ones() -> None:
    from otel_replay.semconv.model import LinkedBy

    assert LinkedBy("name_order") is LinkedBy.NAME_ORDER
    with pytest.raises(ValueError, match="valid values: call_id, name_order, llm_input_only"):
        LinkedBy("by_magic")
