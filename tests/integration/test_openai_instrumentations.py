"""The openai example agent, traced by OpenInference and by the official openai-v2
instrumentation, reconstructs exactly; replays of it link every model and tool span."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from examples.openai_agent.agent import MODEL, SYSTEM_PROMPT
from examples.openai_agent.fake_model import FAKE_RESPONSE_MODEL, scripted_model
from examples.openai_agent.record import SESSIONS
from otel_replay.app.conversations import load_conversation, session_scenario
from otel_replay.core.records import Span
from otel_replay.core.runs import ReplayRun, RunStatus
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.keys import REPLAY_LINK_TYPE_KEY as LINK_TYPE_KEY
from otel_replay.semconv.keys import REPLAY_OF
from otel_replay.semconv.model import FinishReason, LinkedBy, SpanRole
from otel_replay.store import open_store
from otel_replay.testing import FakeOpenAIServer
from tests.integration.conftest import SETUPS, Recording, child_env, run_child

USER_TEXTS = next(iter(SESSIONS.values()))
STATUS_123 = {"order_id": "123", "status": "in transit, arriving Friday"}
STATUS_456 = {"order_id": "456", "status": "delivered"}
REFUND_456 = {"order_id": "456", "refund": "issued"}
REPLIES = [
    "Order 123 is in transit, arriving Friday. Order 456 is delivered.",
    "I have refunded order 456.",
    "You're welcome! Anything else?",
]
# How each turn's model calls ended.
FINISHES = [
    [FinishReason.TOOL_CALL, FinishReason.STOP],
    [FinishReason.TOOL_CALL, FinishReason.TOOL_CALL, FinishReason.STOP],
    [FinishReason.STOP],
]
# Each turn's tool calls in order: (name, call id, arguments, result, index of the model call
# that asked). The fake server numbers completions from 1 and a completion's calls from 0.
# Turn 1 asks for two lookups in one message (parallel); turn 2 looks up, then refunds.
TOOL_CALLS: list[list[tuple[str, str, dict[str, str], dict[str, str], int]]] = [
    [
        ("check_status", "call_fake1_0", {"order_id": "123"}, STATUS_123, 0),
        ("check_status", "call_fake1_1", {"order_id": "456"}, STATUS_456, 0),
    ],
    [
        ("check_status", "call_fake3_0", {"order_id": "456"}, STATUS_456, 0),
        ("issue_refund", "call_fake4_0", {"order_id": "456"}, REFUND_456, 1),
    ],
    [],
]
# Instrumentation scopes of the model spans (openai-v2 makes them through util-genai's handler).
INSTRUMENTATION_SCOPES = {
    "openinference": ("openinference.instrumentation.openai",),
    "openai-v2": ("opentelemetry.instrumentation.openai_v2", "opentelemetry.util.genai"),
}
DETAILS_EVENT = "gen_ai.client.inference.operation.details"


def _usage(completion: dict[str, Any] | None) -> tuple[int, int]:
    assert completion is not None
    return completion["usage"]["prompt_tokens"], completion["usage"]["completion_tokens"]


def _replay_links(span: Span) -> list[tuple[str, str]]:
    return [
        (link.trace_id, link.span_id)
        for link in span.links
        if link.attributes.get(LINK_TYPE_KEY) == REPLAY_OF
    ]


def _by_start(spans: Sequence[Span]) -> list[Span]:
    return sorted(spans, key=lambda s: (s.start_time_unix_nano, s.span_id))


def _requested_call_ids(completions: Sequence[dict[str, Any] | None]) -> list[str]:
    return [
        call["id"]
        for completion in completions
        if completion is not None
        for call in completion["choices"][0]["message"].get("tool_calls", [])
    ]


@pytest.mark.parametrize("name", list(SETUPS))
def test_recorded_session_gives_three_turns_with_exact_texts_tool_calls_usage_and_model(
    record: Callable[[str], Recording], name: str
) -> None:
    recording = record(name)
    store = open_store(recording.store_url)
    try:
        conversation = load_conversation(store, recording.session_id)
        logs = store.get_log_records(list(conversation.trace_ids))
        spans = store.get_spans(list(conversation.trace_ids))
    finally:
        store.close()
    completions = [e.completion for e in recording.exchanges]
    assert [e.status for e in recording.exchanges] == [200] * sum(map(len, FINISHES))
    assert recording.replies == REPLIES
    # The call ids below are the ones the fake server sent, parallel ones included.
    assert _requested_call_ids(completions) == [c[1] for calls in TOOL_CALLS for c in calls]

    assert [t.user_text for t in conversation.turns] == USER_TEXTS
    assert [t.assistant_text for t in conversation.turns] == REPLIES
    assert [[c.finish for c in t.llm_calls] for t in conversation.turns] == FINISHES
    executions = {s.span_id: s for s in spans if classify_span(s) is SpanRole.TOOL}
    answered = iter(completions)
    for turn, expected in zip(conversation.turns, TOOL_CALLS, strict=True):
        assert [
            (t.name, t.call_id, t.arguments, t.result, t.error, t.linked_by)
            for t in turn.tool_calls
        ] == [(n, i, a, r, None, LinkedBy.NAME_ORDER) for n, i, a, r, _ in expected]
        # Linked by tool name: each span that ran a call ran that call's own arguments, and
        # the call was asked for by its model call and answered into the next one.
        for tool, (*_, asked_by) in zip(turn.tool_calls, expected, strict=True):
            assert tool.execution_span_id is not None
            execution = executions.pop(tool.execution_span_id)
            assert json.loads(str(execution.attributes["gen_ai.tool.call.arguments"])) == (
                tool.arguments
            )
            assert (tool.request_span_id, tool.result_span_id) == (
                turn.llm_calls[asked_by].span_id,
                turn.llm_calls[asked_by + 1].span_id,
            )
        usages = [_usage(next(answered)) for _ in turn.llm_calls]
        assert [(c.usage.input_tokens, c.usage.output_tokens) for c in turn.llm_calls] == usages
        assert turn.usage.input_tokens == sum(u[0] for u in usages)
        assert turn.usage.output_tokens == sum(u[1] for u in usages)
    assert executions == {}  # every tool span belongs to a call
    calls = [c for t in conversation.turns for c in t.llm_calls]
    assert {(c.request_model, c.response_model) for c in calls} == {(MODEL, FAKE_RESPONSE_MODEL)}
    assert conversation.agent.model == MODEL
    assert conversation.agent.system_prompt == SYSTEM_PROMPT
    assert all(not t.errors and not t.notes for t in conversation.turns)

    scope = INSTRUMENTATION_SCOPES[recording.setup.instrumentation]
    llm_spans = [s for s in spans if classify_span(s) is SpanRole.LLM]
    assert len(llm_spans) == len(calls) and all(s.scope.name.startswith(scope) for s in llm_spans)
    if recording.setup.instrumentation == "openai-v2":
        assert [c.response_id for c in calls] == [c["id"] for c in completions if c is not None]
    else:
        assert [c.usage.total_tokens for c in calls] == [
            c["usage"]["total_tokens"] for c in completions if c is not None
        ]
    if recording.setup.capture == "event_only":
        # The content reached us only through log records joined to the model spans.
        assert not any("gen_ai.input.messages" in s.attributes for s in spans)
        assert sorted(
            (log.trace_id, log.span_id) for log in logs if log.event_name == DETAILS_EVENT
        ) == sorted((s.trace_id, s.span_id) for s in llm_spans)
    for exchange in recording.exchanges:
        if recording.setup.stream:
            assert exchange.body["stream"] is True
            assert exchange.body["stream_options"] == {"include_usage": True}
        else:
            assert not exchange.body.get("stream")


@pytest.mark.parametrize("name", ["openinference", "openai-v2-events"])
def test_replaying_the_instrumented_agent_links_each_llm_and_tool_span_to_its_original(
    record: Callable[[str], Recording], name: str, tmp_path: Path
) -> None:
    recording = record(name)
    store_url = recording.copy_store(tmp_path)
    with FakeOpenAIServer(scripted_model, model=FAKE_RESPONSE_MODEL) as model:
        out = run_child(
            "tests.integration.replay_child",
            [store_url, recording.session_id, recording.setup.instrumentation],
            child_env(recording.setup, model.base_url),
        )
        replay_exchanges = model.exchanges
    run = ReplayRun.model_validate(out["run"])
    assert out["warehouse"] == []  # no tool body ran: the recorded results were served
    assert run.status is RunStatus.OK
    assert [t.replayed.assistant if t.replayed else None for t in run.turns] == REPLIES
    assert [
        [(c.name, c.result, c.source) for c in t.replayed.tool_calls] if t.replayed else None
        for t in run.turns
    ] == [[(n, result, "recorded") for n, _, _, result, _ in calls] for calls in TOOL_CALLS]
    assert [t.replayed.llm_calls if t.replayed else 0 for t in run.turns] == list(
        map(len, FINISHES)
    )
    # The replayed model asked for the same calls, parallel ones in the same message.
    assert [
        [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls]
        for e in replay_exchanges
        if e.completion is not None
        for calls in [e.completion["choices"][0]["message"].get("tool_calls")]
        if calls
    ] == [
        [(n, a) for n, _, a, _, _ in TOOL_CALLS[0]],
        [(n, a) for n, _, a, _, _ in TOOL_CALLS[1][:1]],
        [(n, a) for n, _, a, _, _ in TOOL_CALLS[1][1:]],
    ]

    store = open_store(store_url)
    try:
        scenario = session_scenario(store, recording.session_id)
        spans = store.get_spans(run.trace_ids)
    finally:
        store.close()
    scope = INSTRUMENTATION_SCOPES[recording.setup.instrumentation]
    llm_spans = _by_start([s for s in spans if classify_span(s) is SpanRole.LLM])
    tool_spans = _by_start([s for s in spans if classify_span(s) is SpanRole.TOOL])
    assert all(s.scope.name.startswith(scope) for s in llm_spans)
    assert [_replay_links(s) for s in llm_spans] == [
        [(c.trace_id, c.span_id)] for t in scenario.turns for c in t.llm_calls
    ]
    assert [_replay_links(s) for s in tool_spans] == [
        [(t.trace_id, t.span_id)] for turn in scenario.turns for t in turn.tool_calls
    ]
    assert all(t.span_id for turn in scenario.turns for t in turn.tool_calls)
    assert [
        (s.attributes.get("otel_replay.tool.source"), s.attributes.get("gen_ai.tool.call.id"))
        for s in tool_spans
    ] == [("recorded", call_id) for calls in TOOL_CALLS for _, call_id, _, _, _ in calls]
