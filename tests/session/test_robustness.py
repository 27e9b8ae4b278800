"""Arbitrary attribute values under every key we read never break reconstruction."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from otel_replay.core.records import AnyValue, LogRecord, Scope, Span
from otel_replay.semconv import attributes as keys
from otel_replay.session.turns import build_conversation

KEYS = sorted(
    {
        value
        for cls in vars(keys).values()
        if isinstance(cls, type)
        for name, value in vars(cls).items()
        if name.isupper() and isinstance(value, str)
    }
    | {
        "gen_ai.input.messages.0.message.role",
        "gen_ai.input.messages.1.message.content",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id",
        "gen_ai.prompt.0.content",
        "gen_ai.completion.3.tool_calls.0.name",
    }
)
NAMES = [
    "agent_session",
    "user_turn",
    "agent_turn",
    "llm_node",
    "llm_request",
    "function_tool",
    "turn",
    "conversation",
    "llm",
    "stt",
    "tts",
    "chat x",
    "execute_tool get",
    "get",
]
JSON_SNIPPETS = [
    "[",
    "{",
    "[]",
    "{}",
    "null",
    '"text"',
    '[{"role": "user"}]',
    '[{"parts": 3}]',
    '{"items": [{"type": "function_call"}]}',
    '[{"role": "assistant", "tool_calls": [{}]}]',
    json.dumps([{"role": "tool", "parts": [{"type": "tool_call_response", "id": ["a", 1]}]}]),
    '{"messages": [[null, 1, "x"]]}',
    '{"args": [], "kwargs": 5}',
    '[1, "two", {"type": null}]',
]

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(JSON_SNIPPETS),
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["role", "content", "parts", "type", "id", "name", "arguments", "message", "text"]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@st.composite
def spans(draw: st.DrawFn) -> list[Span]:
    count = draw(st.integers(1, 8))
    result = []
    for i in range(count):
        parent = draw(st.sampled_from([None, *range(count + 2)]))
        attrs: dict[str, AnyValue] = draw(
            st.dictionaries(st.sampled_from(KEYS), values, max_size=6)
        )
        start = draw(st.integers(0, 10**10))
        result.append(
            Span(
                trace_id=f"{draw(st.integers(1, 2)):032x}",
                span_id=f"{i + 1:016x}",
                parent_span_id="" if parent is None else f"{parent:016x}",
                name=draw(st.sampled_from(NAMES)),
                start_time_unix_nano=start,
                end_time_unix_nano=start + draw(st.integers(-5, 10**9)),
                attributes=attrs,
                scope=Scope(name=draw(st.sampled_from(["", "pipecat", "livekit-agents", "ai"]))),
            )
        )
    return result


@settings(max_examples=200)
@given(spans(), st.lists(values, max_size=3), st.lists(st.sampled_from(KEYS), max_size=3))
def test_any_attribute_values_reconstruct_without_errors(
    drawn: list[Span], bodies: list[AnyValue], event_names: list[str]
) -> None:
    logs = [
        LogRecord(trace_id=drawn[0].trace_id, span_id=drawn[0].span_id, event_name=name, body=body)
        for name, body in zip(event_names, bodies, strict=False)
    ]
    conversation = build_conversation("s", drawn, logs)
    for turn in conversation.turns:
        assert not any("could not be reconstructed" in note for note in turn.notes), turn.notes
