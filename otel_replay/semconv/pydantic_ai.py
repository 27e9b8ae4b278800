"""pydantic-ai / Logfire specifics; their chat spans are otherwise GenAI-shaped (`genai`).

Deviations handled here or in the message sniffer (docs/semconv.md section 3.3): tool results
as `role: "user"` parts with key `result`, `thinking` parts, the v1 `events` attribute,
v2 tool span keys, and the agent span's `final_result` / `pydantic_ai.all_messages`.
"""

from __future__ import annotations

from otel_replay.core.records import Attributes
from otel_replay.semconv.attributes import PydanticAI
from otel_replay.semconv.facts import LlmFacts, ToolFacts, TurnText
from otel_replay.semconv.genai import ContentEvent, message_event_facts
from otel_replay.semconv.messages import last_user_text, parse_messages
from otel_replay.semconv.model import Role
from otel_replay.semconv.values import as_int, as_str, dicts, json_list, parse_json, text_of


def _v1_events(attributes: Attributes, key: str) -> list[ContentEvent]:
    listed = json_list(attributes.get(key))
    events: list[ContentEvent] = []
    for position, item in enumerate(dicts(listed or [])):
        name = as_str(item.get("event.name")) or ""
        index = as_int(item.get(PydanticAI.MESSAGE_INDEX))
        events.append(ContentEvent(name, item, index if index is not None else position))
    return events


def llm_facts(attributes: Attributes) -> LlmFacts:
    """v1 (dropped 2026-05): OTel 1.28-style events serialised into the `events` attribute."""
    if PydanticAI.EVENTS not in attributes:
        return LlmFacts()
    return message_event_facts(_v1_events(attributes, PydanticAI.EVENTS))


def tool_facts(attributes: Attributes) -> ToolFacts:
    """v2 tool spans (`running tool`): `tool_arguments` / `tool_response`."""
    return ToolFacts(
        arguments=parse_json(attributes.get(PydanticAI.TOOL_ARGUMENTS)),
        result=parse_json(attributes.get(PydanticAI.TOOL_RESPONSE)),
    )


def turn_text(attributes: Attributes) -> TurnText:
    """The agent run span: the run's new user prompt and its `final_result`."""
    messages = parse_messages(attributes.get(PydanticAI.ALL_MESSAGES), Role.USER)
    if messages is None and PydanticAI.ALL_MESSAGES_EVENTS in attributes:
        events = _v1_events(attributes, PydanticAI.ALL_MESSAGES_EVENTS)
        messages = message_event_facts(events).input_messages
    user: str | None = None
    if messages:
        start = as_int(attributes.get(PydanticAI.NEW_MESSAGE_INDEX)) or 0
        new = messages[start:] if 0 <= start < len(messages) else messages
        user = next((m.text for m in new if m.role is Role.USER and m.text), None)
        user = user or last_user_text(messages)
    final = attributes.get(PydanticAI.FINAL_RESULT)
    return TurnText(user, text_of(parse_json(final)) if final is not None else None)
