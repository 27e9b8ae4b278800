"""Partial facts that each convention's normaliser reads off one span.

Every normaliser returns what its convention records and None for the rest; the facts
are then merged in the resolution order of docs/semconv.md section 10 (first non-None wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from otel_replay.core.records import AnyValue
from otel_replay.semconv.model import Message, ToolDefinition, Usage

T = TypeVar("T")


@dataclass(frozen=True)
class LlmFacts:
    """What one convention says about a model call."""

    provider: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    response_id: str | None = None
    finish_raw: str | None = None
    parameters: Mapping[str, AnyValue] | None = None
    system_instructions: str | None = None
    input_messages: tuple[Message, ...] | None = None
    output_messages: tuple[Message, ...] | None = None
    usage: Usage | None = None
    tool_definitions: tuple[ToolDefinition, ...] | None = None


@dataclass(frozen=True)
class ToolFacts:
    """What one convention says about a tool execution span."""

    name: str | None = None
    call_id: str | None = None
    arguments: AnyValue = None
    result: AnyValue = None
    error: str | None = None
    description: str | None = None
    # The call id the recorded result answers, when only the result names it (a LangChain
    # ToolMessage): it keeps name-order pairing from giving the span another call's request.
    result_call_id: str | None = None


@dataclass(frozen=True)
class TurnText:
    """The user input and final answer a root/agent span records for its whole run."""

    user_text: str | None = None
    assistant_text: str | None = None


def _merge_usage(usages: Iterable[Usage | None]) -> Usage | None:
    merged: Usage | None = None
    for usage in usages:
        if usage is None:
            continue
        if merged is None:
            merged = usage
            continue
        updates = {
            f.name: getattr(usage, f.name)
            for f in fields(Usage)
            if getattr(merged, f.name) is None and getattr(usage, f.name) is not None
        }
        if updates:
            merged = replace(merged, **updates)
    return merged


def _first(values: Iterable[T | None]) -> T | None:
    return next((v for v in values if v is not None), None)


_NO_LLM_FACTS = LlmFacts()


def merge_llm_facts(all_facts: Iterable[LlmFacts]) -> LlmFacts:
    """Field by field, the first fact that is not None; parameters and usage merge by key."""
    # Most conventions say nothing about a given span: merging only what was said is the
    # same result, and cheaper on long sessions.
    facts = [x for x in all_facts if x != _NO_LLM_FACTS]
    if len(facts) == 1:
        return facts[0]  # what the merge below makes of it, field for field
    parameters: dict[str, AnyValue] = {}
    for x in facts:
        for key, value in (x.parameters or {}).items():
            parameters.setdefault(key, value)
    return LlmFacts(
        provider=_first(x.provider for x in facts),
        request_model=_first(x.request_model for x in facts),
        response_model=_first(x.response_model for x in facts),
        response_id=_first(x.response_id for x in facts),
        finish_raw=_first(x.finish_raw for x in facts),
        parameters=parameters if any(x.parameters is not None for x in facts) else None,
        system_instructions=_first(x.system_instructions for x in facts),
        input_messages=_first(x.input_messages for x in facts),
        output_messages=_first(x.output_messages for x in facts),
        usage=_merge_usage(x.usage for x in facts),
        tool_definitions=_first(x.tool_definitions for x in facts),
    )


def merge_tool_facts(all_facts: Iterable[ToolFacts]) -> ToolFacts:
    """Field by field, the first fact that is not None."""
    facts = list(all_facts)
    if len(facts) == 1:
        return facts[0]  # what the merge below makes of it, field for field
    return ToolFacts(
        name=_first_field(facts, "name"),
        call_id=_first_field(facts, "call_id"),
        arguments=_first_field(facts, "arguments"),
        result=_first_field(facts, "result"),
        error=_first_field(facts, "error"),
        description=_first_field(facts, "description"),
        result_call_id=_first_field(facts, "result_call_id"),
    )


def _first_field(facts: Sequence[ToolFacts], name: str) -> Any:
    # `_first` over one field, without a generator per field.
    for x in facts:
        value = getattr(x, name)
        if value is not None:
            return value
    return None


def merge_turn_text(all_facts: Iterable[TurnText]) -> TurnText:
    """The first non-empty user text and the first non-empty answer."""
    facts = list(all_facts)
    return TurnText(
        user_text=next((x.user_text for x in facts if x.user_text), None),
        assistant_text=next((x.assistant_text for x in facts if x.assistant_text), None),
    )
