"""Which call payload a JSON document is, and its call record.

Files may hold a webhook body as delivered, an API object as fetched, or an envelope
`{"call": <call>, ...}` that adds the configuration fetched apart: `assistant` (Vapi
`GET /assistant/{id}`), `agent` and `retell_llm` (Retell `GET /get-agent`,
`GET /get-retell-llm`; a dashboard export's `retellLlmData` inside `agent` works too).
"""

from __future__ import annotations

from enum import StrEnum

from otel_replay.calls.record import CallRecord, obj
from otel_replay.calls.retell import WEBHOOK_EVENTS, is_retell_call, is_retell_webhook, parse_retell
from otel_replay.calls.vapi import END_OF_CALL_REPORT, is_vapi_call, is_vapi_message, parse_vapi
from otel_replay.core.errors import BadInputError
from otel_replay.core.records import AnyValue


class Platform(StrEnum):
    """The voice platforms whose calls are read."""

    VAPI = "vapi"
    RETELL = "retell"


def call_platform(document: AnyValue) -> Platform | None:
    """The platform a JSON document is a call payload of, or None (not a call payload)."""
    if not isinstance(document, dict):
        return None
    if is_vapi_message(document):
        return Platform.VAPI
    if is_retell_webhook(document):
        return Platform.RETELL
    inner = obj(document.get("call"))
    for candidate in (inner, document) if inner else (document,):
        if is_retell_call(candidate):
            return Platform.RETELL
        if is_vapi_call(candidate):
            return Platform.VAPI
    return None


def _optional(document: dict[str, AnyValue], key: str) -> dict[str, AnyValue] | None:
    value = document.get(key)
    if value is not None and not isinstance(value, dict):
        raise BadInputError(f"{key!r} must be an object")
    return value


def parse_call_document(document: AnyValue) -> CallRecord:
    """The call record of a file's document; BadInputError says what is wrong."""
    platform = call_platform(document)
    if platform is None or not isinstance(document, dict):
        raise BadInputError("not a Vapi or Retell call")
    record = webhook_call(platform, document)
    if record is None:
        raise BadInputError(
            f"this {platform.value} payload holds no finished call ({_kind(document)})"
        )
    return record


def _kind(document: dict[str, AnyValue]) -> str:
    message_type = obj(document.get("message")).get("type")
    return f"event {document.get('event') or message_type!s}"


def webhook_call(platform: Platform, document: dict[str, AnyValue]) -> CallRecord | None:
    """The call record of a webhook body (or file document) of `platform`; None for an
    event that holds no finished call (Vapi status updates, Retell `call_started`)."""
    inner = obj(document.get("call"))
    if platform is Platform.VAPI:
        if is_vapi_message(document):
            kind = obj(document.get("message")).get("type")
            return parse_vapi(document) if kind == END_OF_CALL_REPORT else None
        call = inner if is_vapi_call(inner) else document
        if not is_vapi_call(call):
            raise BadInputError("not a Vapi call: no id or no call fields")
        return parse_vapi(call, _optional(document, "assistant") if inner else None, document)
    event = document.get("event")
    if isinstance(event, str):
        if event not in WEBHOOK_EVENTS:
            return None
        source = f"retell.{event}"
    else:
        source = "retell.call"
    call = inner if inner else document
    if not is_retell_call(call):
        raise BadInputError("not a Retell call: no call_id or no call fields")
    agent = _optional(document, "agent") if inner else None
    llm = _optional(document, "retell_llm") if inner else None
    return parse_retell(call, document, source, agent, llm)
