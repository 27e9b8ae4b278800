"""What the provider shapes share: the shape record, content text, tool arguments, sampling
parameters, server-sent events, and the one table from error kind to HTTP status.

Each provider module (`openai_chat`, `openai_responses`, `anthropic_messages`) is pure: it
maps its request body onto `LlmRequest`, and an `LlmAnswer` onto its response body, its
stream of events and its error body. `PROVIDER_SHAPES` (in `providers`) names them by API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import JsonValue

from otel_replay.semconv.model import Role
from otel_replay.standin.model import LlmAnswer, LlmRequest, ProviderApi

# A fixed epoch for `created` fields, so recorded answers are the same bytes on every run.
CREATED_UNIX = 1_700_000_000
# Streams split text after each run of whitespace, and tool arguments into token-sized
# pieces (`{"`, `order_id`, `": "`, `123`, `"}`), as models emit them.
_TEXT_PIECE = re.compile(r"\S*\s+|\S+")
_ARGUMENT_PIECE = re.compile(r"\w+|\W+")

_ROLES = {"developer": Role.SYSTEM.value, "function": Role.TOOL.value, "model": "assistant"}
# Request parameter names -> the names scenarios record (the GenAI convention's).
PARAMETER_NAMES = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "max_output_tokens": "max_tokens",
    "stop": "stop_sequences",
    "stop_sequences": "stop_sequences",
    "seed": "seed",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "n": "choice_count",
}


class RequestShapeError(ValueError):
    """A request body that is not the shape its API takes; answered with HTTP 400."""


class ErrorKind(StrEnum):
    """Why the stand-in answers with an error."""

    NO_MATCH = "no_recorded_match"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    NO_API_KEY = "no_api_key"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    INTERNAL = "standin_error"


@dataclass(frozen=True)
class ErrorRule:
    status: int
    openai_type: str
    anthropic_type: str


# The one table from error kind to HTTP status and each provider's error type. A miss is the
# caller's request differing from the recording: 400, which SDKs raise at once, unretried.
ERRORS: dict[ErrorKind, ErrorRule] = {
    ErrorKind.NO_MATCH: ErrorRule(400, "invalid_request_error", "invalid_request_error"),
    ErrorKind.BAD_REQUEST: ErrorRule(400, "invalid_request_error", "invalid_request_error"),
    ErrorKind.NOT_FOUND: ErrorRule(404, "invalid_request_error", "not_found_error"),
    ErrorKind.NO_API_KEY: ErrorRule(401, "invalid_request_error", "authentication_error"),
    ErrorKind.UPSTREAM_UNAVAILABLE: ErrorRule(502, "server_error", "api_error"),
    ErrorKind.INTERNAL: ErrorRule(500, "server_error", "api_error"),
}


def openai_error(kind: ErrorKind, message: str) -> dict[str, Any]:
    """An error body as OpenAI's APIs send it (the SDK raises it with `message`)."""
    error_type = ERRORS[kind].openai_type
    return {"error": {"message": message, "type": error_type, "param": None, "code": kind.value}}


def anthropic_error(kind: ErrorKind, message: str) -> dict[str, Any]:
    """An error body as Anthropic's API sends it."""
    return {"type": "error", "error": {"type": ERRORS[kind].anthropic_type, "message": message}}


@dataclass(frozen=True)
class ProviderShape:
    """One API's wire format. `render_*` take the answer, the model the request asked for
    and a serial (`t<turn>c<call>`) for ids the recording lacks."""

    api: ProviderApi
    # Where a request is forwarded to, after the upstream base URL.
    upstream_path: str
    normalise_request: Callable[[Mapping[str, Any]], LlmRequest]
    render_response: Callable[[LlmAnswer, str | None, str], dict[str, Any]]
    render_stream: Callable[[LlmAnswer, str | None, str, Mapping[str, Any]], bytes]
    render_error: Callable[[ErrorKind, str], dict[str, Any]]
    read_response: Callable[[Mapping[str, Any]], LlmAnswer]
    read_stream: Callable[[bytes], LlmAnswer]


def role_of(value: object) -> str:
    role = str(value or "user")
    return _ROLES.get(role, role)


def content_text(content: object) -> str | None:
    """The text of a content field: a string, or the text parts of a list joined by
    newlines (as the scenario's messages join them); None when there is no text."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            str(part["text"])
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        ]
        return "\n".join(texts) if texts else None
    return str(content)


def parse_arguments(arguments: JsonValue) -> JsonValue:
    """Tool arguments as JSON values: JSON text is parsed, anything else kept."""
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            value: JsonValue = json.loads(arguments)
        except ValueError:
            return arguments
        return value
    return arguments


def arguments_text(arguments: JsonValue) -> str:
    """Tool arguments as the JSON text providers send (a string that is not JSON, as is)."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def arguments_object(arguments: JsonValue) -> dict[str, JsonValue]:
    """Tool arguments as an object, for APIs whose tool input must be one."""
    return dict(arguments) if isinstance(arguments, dict) else {}


def parameters_of(body: Mapping[str, Any]) -> dict[str, JsonValue]:
    """The sampling parameters a request sets, under the names scenarios record."""
    parameters: dict[str, JsonValue] = {}
    for key, name in PARAMETER_NAMES.items():
        value = body.get(key)
        if value is None:
            continue
        parameters[name] = [value] if name == "stop_sequences" and isinstance(value, str) else value
    return parameters


def text_pieces(text: str | None) -> list[str]:
    """`text` split the way a model streams it; the pieces join back to `text`."""
    return _TEXT_PIECE.findall(text or "")


def argument_pieces(arguments: str) -> list[str]:
    return _ARGUMENT_PIECE.findall(arguments)


def response_id(answer: LlmAnswer, prefix: str, serial: str) -> str:
    """The recorded response id when it is this API's kind, else a stable one."""
    if answer.response_id and answer.response_id.startswith(prefix):
        return answer.response_id
    return f"{prefix}standin-{serial}"


def tokens(count: int | None) -> int:
    """A token count for the wire, where a count is required (0 when not recorded)."""
    return count or 0


def sse_event(data: Mapping[str, Any] | str, event: str | None = None) -> str:
    """One server-sent event (`event:` line only when named)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


def iter_sse_data(raw: bytes) -> Iterator[Any]:
    """The JSON data of each server-sent event in a stream (`[DONE]` and non-JSON skipped)."""
    for block in raw.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n\n"):
        data = "\n".join(
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        )
        if not data or data == "[DONE]":
            continue
        try:
            yield json.loads(data)
        except ValueError:
            continue


def int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
