"""Small named matchers between a model request and the recorded LLM calls of a turn.

A matcher takes the live request and one recorded exchange and returns None when they agree
on what it checks, else what differs, in words. A stand-in matches on a list of matcher
names, as vcrpy's `match_on` does; a recorded call answers a request when every matcher
agrees. The built-in ones:

- `messages`: the same messages in order: role, text, tool calls (name and arguments) and
  tool results. Tool call ids are not compared: providers mint them, and a hybrid replay's
  live answers carry new ones. JSON texts (tool results) compare as JSON values.
- `tools`: the same tools offered (name, description, parameter schema). Scenarios record
  the agent's tools once; when none were recorded there is nothing to compare.
- `model`: the same requested model name (when the recording has one).
- `parameters`: the sampling parameters both sides set are equal. Instrumentations record
  different subsets, so a parameter only one side has is not a difference.

`DEFAULT_MATCH_ON` is ("messages", "tools", "model"): what the model was asked and which
model was asked. Parameters are left out by default because recordings rarely hold them all.
`register_matcher(name, fn)` adds a matcher a stand-in can then name in `match_on`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from pydantic import JsonValue

from otel_replay.core.errors import BadInputError
from otel_replay.scenario.model import ScenarioMessage, ToolCallRequest, ToolSpec
from otel_replay.semconv.model import Role
from otel_replay.standin.model import Divergence, LlmRequest, NearMiss, RecordedExchange

Matcher = Callable[[LlmRequest, RecordedExchange], str | None]

DEFAULT_MATCH_ON: tuple[str, ...] = ("messages", "tools", "model")
_SNIPPET = 40  # characters of context either side of where two texts part
_CLOSEST = 3


def canonical_json(value: JsonValue) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _as_json(text: str) -> JsonValue:
    try:
        value: JsonValue = json.loads(text)
    except ValueError:
        return text
    return value


def _same_text(now: str | None, then: str | None) -> bool:
    now, then = now or "", then or ""
    if now == then:
        return True
    # A tool result recorded as parsed JSON may come back with other spacing or key order.
    return (
        now[:1] in "[{"
        and then[:1] in "[{"
        and canonical_json(_as_json(now)) == canonical_json(_as_json(then))
    )


def describe_text_change(now: str | None, then: str | None) -> str:
    """Where two texts part, with a little context: `recorded '…', now '…'`."""
    now, then = now or "", then or ""
    at = next((i for i, (a, b) in enumerate(zip(now, then, strict=False)) if a != b), None)
    if at is None:
        at = min(len(now), len(then))
    start = max(0, at - _SNIPPET)

    def snippet(text: str) -> str:
        head = "…" if start else ""
        tail = "…" if len(text) > at + _SNIPPET else ""
        return repr(head + text[start : at + _SNIPPET] + tail)

    return f"at character {at + 1}: recorded {snippet(then)}, now {snippet(now)}"


def _describe_calls(calls: Sequence[ToolCallRequest]) -> str:
    return ", ".join(f"{c.name}({canonical_json(c.arguments)})" for c in calls) or "none"


def describe_message_change(now: ScenarioMessage, then: ScenarioMessage) -> str | None:
    """What differs between two messages (None when nothing that matters does)."""
    if now.role != then.role:
        return f"role {now.role!r}, recorded {then.role!r}"
    if not _same_text(now.content, then.content):
        return "text " + describe_text_change(now.content, then.content)
    now_calls = [(c.name, canonical_json(c.arguments)) for c in now.tool_calls]
    then_calls = [(c.name, canonical_json(c.arguments)) for c in then.tool_calls]
    if now_calls != then_calls:
        return (
            f"tool calls {_describe_calls(now.tool_calls)}, "
            f"recorded {_describe_calls(then.tool_calls)}"
        )
    return None


def _message_name(position: int, message: ScenarioMessage) -> str:
    if message.role == Role.SYSTEM and position == 0:
        return "system message"
    return f"message {position + 1} ({message.role})"


def match_messages(request: LlmRequest, recorded: RecordedExchange) -> str | None:
    now_messages, then_messages = request.messages, recorded.request.messages
    for position, (now, then) in enumerate(zip(now_messages, then_messages, strict=False)):
        change = describe_message_change(now, then)
        if change is not None:
            return f"{_message_name(position, then)} differs: {change}"
    if len(now_messages) == len(then_messages):
        return None
    if len(now_messages) > len(then_messages):
        extra = now_messages[len(then_messages)]
        return (
            f"{len(now_messages)} messages, recorded {len(then_messages)}: "
            f"message {len(then_messages) + 1} ({extra.role}) is new"
        )
    missing = then_messages[len(now_messages)]
    return (
        f"{len(now_messages)} messages, recorded {len(then_messages)}: "
        f"message {len(now_messages) + 1} ({missing.role}) is missing"
    )


def _describe_tool_change(now: ToolSpec, then: ToolSpec) -> str | None:
    if (now.description or "") != (then.description or ""):
        return f"tool {now.name!r} description " + describe_text_change(
            now.description, then.description
        )
    if canonical_json(now.parameters) != canonical_json(then.parameters):
        return (
            f"tool {now.name!r} parameters {canonical_json(now.parameters)}, "
            f"recorded {canonical_json(then.parameters)}"
        )
    return None


def match_tools(request: LlmRequest, recorded: RecordedExchange) -> str | None:
    then_tools = {t.name: t for t in recorded.request.tools}
    if not then_tools:
        return None  # not recorded
    now_tools = {t.name: t for t in request.tools}
    changes = [f"tool {name!r} is new" for name in now_tools if name not in then_tools]
    changes += [f"tool {name!r} is not offered" for name in then_tools if name not in now_tools]
    changes += [
        change
        for name, now in now_tools.items()
        if name in then_tools
        for change in [_describe_tool_change(now, then_tools[name])]
        if change is not None
    ]
    return "tools differ: " + ", ".join(changes) if changes else None


def match_model(request: LlmRequest, recorded: RecordedExchange) -> str | None:
    then = recorded.request.model
    if then is None or request.model == then:
        return None
    return f"model {request.model!r}, recorded {then!r}"


def _shared_parameter_changes(
    now: Mapping[str, JsonValue], then: Mapping[str, JsonValue]
) -> list[str]:
    return [
        f"{key} {canonical_json(now[key])} (recorded {canonical_json(then[key])})"
        for key in sorted(set(now) & set(then))
        if canonical_json(now[key]) != canonical_json(then[key])
    ]


def match_parameters(request: LlmRequest, recorded: RecordedExchange) -> str | None:
    changes = _shared_parameter_changes(request.parameters, recorded.request.parameters)
    return "parameters differ: " + ", ".join(changes) if changes else None


_MATCHERS: dict[str, Matcher] = {
    "messages": match_messages,
    "tools": match_tools,
    "model": match_model,
    "parameters": match_parameters,
}


def register_matcher(name: str, matcher: Matcher) -> None:
    """Make `matcher` available to every stand-in as `name` in `match_on` (a name already
    taken is replaced, so a built-in can be overridden)."""
    _MATCHERS[name] = matcher


def matcher_names() -> tuple[str, ...]:
    """The names `match_on` can use, built-in and registered."""
    return tuple(_MATCHERS)


def resolve_matchers(match_on: Sequence[str]) -> tuple[tuple[str, Matcher], ...]:
    """The matchers `match_on` names; BadInputError naming the valid ones for a bad name."""
    unknown = [name for name in match_on if name not in _MATCHERS]
    if unknown:
        raise BadInputError(
            f"unknown matcher {', '.join(map(repr, unknown))}; "
            f"valid matchers: {', '.join(_MATCHERS)}"
        )
    return tuple((name, _MATCHERS[name]) for name in match_on)


def _shared_messages(request: LlmRequest, recorded: RecordedExchange) -> int:
    pairs = zip(request.messages, recorded.request.messages, strict=False)
    return sum(describe_message_change(now, then) is None for now, then in pairs)


def match_request(
    turn_index: int,
    request: LlmRequest,
    recorded: Sequence[RecordedExchange],
    served: set[int],
    matchers: Sequence[tuple[str, Matcher]],
) -> RecordedExchange | Divergence:
    """The first recorded exchange not yet `served` that every matcher accepts (so equal
    requests get the recorded answers in order), else a Divergence naming the closest ones:
    fewest differences first, then most messages in common, then recording order."""
    near: list[tuple[int, int, int, NearMiss]] = []
    for exchange in recorded:
        differences = tuple(
            d for d in (matcher(request, exchange) for _, matcher in matchers) if d is not None
        )
        if not differences and exchange.index not in served:
            return exchange
        if exchange.index in served:
            differences = (*differences, "already answered an earlier request")
        shared = _shared_messages(request, exchange)
        near.append((len(differences), -shared, exchange.index, NearMiss(exchange, differences)))
    near.sort(key=lambda item: item[:3])
    return Divergence(
        turn_index,
        request,
        tuple(name for name, _ in matchers),
        tuple(n for *_, n in near[:_CLOSEST]),
    )
