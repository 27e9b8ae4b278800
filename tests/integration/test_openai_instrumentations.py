"""The openai example agent, traced by OpenInference and by the official openai-v2
instrumentation, reconstructs exactly; replays of it link every model and tool span."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from examples.openai_agent.agent import MODEL, SYSTEM_PROMPT
from examples.openai_agent.fake_model import FAKE_RESPONSE_MODEL, scripted_model
from examples.openai_agent.record import SESSIONS
from otel_replay.api import load_conversation, session_scenario
from otel_replay.records import Span
from otel_replay.replay.links import LINK_TYPE_KEY, REPLAY_OF
from otel_replay.replay.model import ReplayRun, RunStatus
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.model import FinishReason, SpanRole
from otel_replay.store import open_store
from otel_replay.testing import FakeOpenAIServer
from tests.integration.conftest import SETUPS, Recording, child_env, run_child

USER_TEXTS = next(iter(SESSIONS.values()))
REPLIES = ["Order 123 is in transit, arriving Friday.", "You're welcome! Anything else?"]
TOOL_RESULT = {"order_id": "123", "status": "in transit, arriving Friday"}
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


@pytest.mark.parametrize("name", list(SETUPS))
def test_recorded_session_gives_two_turns_with_exact_texts_tool_call_usage_and_model(
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
    # Turn 1: the model asks for check_status, then answers; turn 2: one answer.
    assert [e.status for e in recording.exchanges] == [200, 200, 200]
    assert recording.replies == REPLIES

    assert [t.user_text for t in conversation.turns] == USER_TEXTS
    assert [t.assistant_text for t in conversation.turns] == REPLIES
    turn_1, turn_2 = conversation.turns
    (tool,) = turn_1.tool_calls
    assert (tool.name, tool.arguments, tool.result, tool.error) == (
        "check_status",
        {"order_id": "123"},
        TOOL_RESULT,
        None,
    )
    assert completions[0] is not None
    assert tool.call_id == completions[0]["choices"][0]["message"]["tool_calls"][0]["id"]
    assert turn_2.tool_calls == ()
    for turn, answered in ((turn_1, completions[:2]), (turn_2, completions[2:])):
        usages = [_usage(c) for c in answered]
        assert [(c.usage.input_tokens, c.usage.output_tokens) for c in turn.llm_calls] == usages
        assert turn.usage.input_tokens == sum(u[0] for u in usages)
        assert turn.usage.output_tokens == sum(u[1] for u in usages)
    calls = [c for t in conversation.turns for c in t.llm_calls]
    assert {(c.request_model, c.response_model) for c in calls} == {(MODEL, FAKE_RESPONSE_MODEL)}
    assert [c.finish for c in calls] == [
        FinishReason.TOOL_CALL,
        FinishReason.STOP,
        FinishReason.STOP,
    ]
    assert conversation.agent.model == MODEL
    assert conversation.agent.system_prompt == SYSTEM_PROMPT
    assert all(not t.errors for t in conversation.turns)

    scope = INSTRUMENTATION_SCOPES[recording.setup.instrumentation]
    llm_spans = [s for s in spans if classify_span(s) is SpanRole.LLM]
    assert len(llm_spans) == 3 and all(s.scope.name.startswith(scope) for s in llm_spans)
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
    ] == [[("check_status", TOOL_RESULT, "recorded")], []]
    assert [t.replayed.llm_calls if t.replayed else 0 for t in run.turns] == [2, 1]
    assert len(replay_exchanges) == 3

    store = open_store(store_url)
    try:
        scenario = session_scenario(store, recording.session_id)
        spans = store.get_spans(run.trace_ids)
    finally:
        store.close()
    scope = INSTRUMENTATION_SCOPES[recording.setup.instrumentation]
    llm_spans = _by_start([s for s in spans if classify_span(s) is SpanRole.LLM])
    tool_spans = [s for s in spans if classify_span(s) is SpanRole.TOOL]
    assert all(s.scope.name.startswith(scope) for s in llm_spans)
    assert [_replay_links(s) for s in llm_spans] == [
        [(c.trace_id, c.span_id)] for t in scenario.turns for c in t.llm_calls
    ]
    assert [_replay_links(s) for s in tool_spans] == [
        [(t.trace_id, t.span_id)] for turn in scenario.turns for t in turn.tool_calls
    ]
    assert all(t.span_id for turn in scenario.turns for t in turn.tool_calls)
    assert [s.attributes.get("otel_replay.tool.source") for s in tool_spans] == ["recorded"]
