"""The normalisers ask only the conventions a span can belong to (semconv.dispatch): the
merged facts must be exactly those of asking every reader, on real captures and on spans
mixing any keys of any convention."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_replay.core.records import AnyValue, LogRecord, Scope, Span, SpanEvent
from otel_replay.semconv import attributes
from otel_replay.semconv.dispatch import SpanView
from otel_replay.semconv.facts import merge_llm_facts, merge_tool_facts, merge_turn_text
from otel_replay.semconv.normalise import LLM_READERS, TOOL_READERS, TURN_TEXT_READERS
from tests.builders import make_span
from tests.conftest import FIXTURES
from tests.semconv.otlp_files import load_logs, load_spans


def _assert_same_facts(span: Span, logs: list[LogRecord]) -> None:
    view = SpanView(span, logs)
    assert merge_llm_facts(LLM_READERS.read(view)) == merge_llm_facts(LLM_READERS.read_all(view))
    assert merge_tool_facts(TOOL_READERS.read(view)) == merge_tool_facts(
        TOOL_READERS.read_all(view)
    )
    assert merge_turn_text(TURN_TEXT_READERS.read(view)) == merge_turn_text(
        TURN_TEXT_READERS.read_all(view)
    )


def _fixture_files() -> list[tuple[Path, Path | None]]:
    files: list[tuple[Path, Path | None]] = []
    for traces in sorted((FIXTURES / "captures").glob("*/traces.json")):
        logs = traces.with_name("logs.json")
        files.append((traces, logs if logs.exists() else None))
    for traces in sorted((FIXTURES / "semconv").glob("*.json")):
        if traces.name == "expected.json" or ".logs." in traces.name:
            continue
        logs = traces.with_name(traces.name.replace(".traces.json", ".logs.json"))
        files.append((traces, logs if logs != traces and logs.exists() else None))
    return files


@pytest.mark.parametrize(
    ("traces", "logs"), _fixture_files(), ids=lambda p: p.parent.name if p else ""
)
def test_every_captured_span_reads_the_same_as_when_every_convention_is_asked(
    traces: Path, logs: Path | None
) -> None:
    records = load_logs(logs) if logs is not None else []
    by_span: dict[tuple[str, str], list[LogRecord]] = {}
    for record in records:
        by_span.setdefault((record.trace_id, record.span_id), []).append(record)
    spans = load_spans(traces)
    assert spans
    for span in spans:
        _assert_same_facts(span, by_span.get((span.trace_id, span.span_id), []))


def _known_keys() -> list[list[str]]:
    """Every key the conventions name: each attribute class's string constants."""
    families = []
    for holder in vars(attributes).values():
        if isinstance(holder, type) and holder.__module__ == attributes.__name__:
            keys = [v for k, v in vars(holder).items() if k.isupper() and isinstance(v, str)]
            families.append(sorted(keys))
    return families


_FAMILIES = _known_keys()
_KEYS = sorted({key for family in _FAMILIES for key in family})
# Flattened forms (`prefix.{i}.…`) of the keys that producers flatten.
_FLATTENED = [
    f"{key}.{i}.{leaf}"
    for key in (
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.prompt",
        "gen_ai.completion",
        "gen_ai.tool.definitions",
        "llm.input_messages",
        "llm.output_messages",
        "llm.prompts",
        "llm.choices",
        "llm.tools",
        "llm.request.functions",
    )
    for i in (0, 1)
    for leaf in (
        "message.role",
        "message.content",
        "role",
        "content",
        "name",
        "finish_reason",
        "prompt.text",
        "completion.text",
        "tool.json_schema",
    )
]
_VALUES: list[AnyValue] = [
    "user",
    "assistant",
    "stop",
    "tool",
    "TOOL",
    "LLM",
    "chat",
    "execute_tool",
    "gpt-4o",
    "q",
    "",
    3,
    "12",
    1.5,
    True,
    ["a", "b"],
    json.dumps([{"role": "user", "content": "q"}]),
    json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "a"}]}]),
    json.dumps(
        {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]}
    ),
    json.dumps({"args": ["q"], "kwargs": {}}),
    json.dumps({"model": "gpt-4o", "temperature": 0.2}),
    json.dumps({"input": 10, "output": 2}),
    json.dumps([{"name": "lookup", "parameters": {"type": "object"}}]),
    json.dumps({"type": "tool", "data": {"content": "r", "tool_call_id": "c1"}}),
    json.dumps([{"event.name": "gen_ai.user.message", "content": "q"}]),
    json.dumps({"prompt": "q", "system": "s"}),
]
_EVENT_NAMES = [
    "gen_ai.user.message",
    "gen_ai.choice",
    "gen_ai.content.prompt",
    "gen_ai.client.inference.operation.details",
    "exception",
    "First Token Stream Event",
]


@st.composite
def _spans(draw: st.DrawFn) -> Span:
    # A few keys of one convention (they are read together), and a few of any.
    family = draw(st.sampled_from(_FAMILIES))
    keys = draw(st.lists(st.sampled_from(family), max_size=4)) + draw(
        st.lists(
            st.sampled_from(_KEYS + _FLATTENED) | st.sampled_from(["param.temperature", "x.y"]),
            max_size=4,
        )
    )
    values = {key: draw(st.integers(0, 9) | st.sampled_from(_VALUES)) for key in keys}
    events = tuple(
        SpanEvent(
            name=name,
            time_unix_nano=1,
            attributes={"content": draw(st.sampled_from(_VALUES)), "index": 0},
        )
        for name in draw(st.lists(st.sampled_from(_EVENT_NAMES), max_size=2))
    )
    name = draw(
        st.sampled_from(
            ["chat gpt-4o", "llm", "stt", "tts", "voice.turn", "llm_node", "x.tool", "step"]
        )
    )
    scope = draw(st.sampled_from(["tests", "livekit-agents", "pipecat", "langsmith", ""]))
    span = make_span(1, 2, 1, name=name, attributes=values)
    return Span(**{**span.__dict__, "scope": Scope(name=scope), "events": events})


@settings(max_examples=400)
@given(_spans())
def test_any_mix_of_keys_reads_the_same_as_when_every_convention_is_asked(span: Span) -> None:
    _assert_same_facts(span, [])


def test_a_kind_of_span_seen_before_still_asks_the_span_name_tests_anew() -> None:
    # Same keys and scope, so one cached plan: only the span name makes the second Pipecat's.
    keys = {"gen_ai.operation.name": "chat", "output": "spoken answer"}
    other = make_span(1, 2, name="step", attributes=keys)
    pipecat = make_span(1, 3, name="llm", attributes=keys)
    assert merge_llm_facts(LLM_READERS.read(SpanView(other))).output_messages is None
    outputs = merge_llm_facts(LLM_READERS.read(SpanView(pipecat))).output_messages
    assert outputs is not None and outputs[0].text == "spoken answer"
