"""Real framework traces exported from Langfuse reconstruct without errors, with the facts
checked by hand against each file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from otel_replay.semconv.model import LinkedBy
from otel_replay.session.turns import build_conversation
from tests.conftest import PUBLIC_FIXTURES
from tests.session.langfuse_export import spans_from_langfuse_export

TRACES = PUBLIC_FIXTURES / "langfuse-framework-traces"


@dataclass(frozen=True)
class Facts:
    llm_calls: int
    # (name, call id, linked by) in time order.
    tools: tuple[tuple[str, str | None, LinkedBy], ...]
    user_starts: str
    assistant_starts: str
    input_tokens: int | None


FACTS: dict[str, Facts] = {
    "autogen-2025-06-06.json": Facts(
        1, (), "system: You are a helpful AI assistant.", "Hello World!", 41
    ),
    "google-adk-2025-08-28.json": Facts(
        2,
        (("say_hello", "adk-8bd8dc65-717d-4102-858b-3a1dd6b75a00", LinkedBy.NAME_ORDER),),
        "hi",
        "Hello Langfuse",
        67,
    ),
    "google-vertex-tools-langchain-2025-09-19.json": Facts(
        1, (), "John Smith", "Thank you, John Smith.", None
    ),
    "koog-2025-08-26.json": Facts(
        2,
        (
            ("HelloTool", "call_n2HaWg9KFP0BZDqXv6G4b3nJ", LinkedBy.SPAN_ONLY),
            ("ByeTool", "call_dOeEHJDI0liHrCdFWTpkTsuO", LinkedBy.SPAN_ONLY),
        ),
        "Greet and say goodbye to the user",
        "Hello my darling Bob! And, bye my dear Bob!",
        215,
    ),
    "langgraph-2025-08-22.json": Facts(
        2,
        (("Web-Search", "call_1oGK863sxQHlPreFhDdEs3yl", LinkedBy.NAME_ORDER),),
        "Search the web for 'example' and summarize.",
        'The search for "example"',
        168,
    ),
    "llamaindex-2025-06-05.json": Facts(
        1, (), "What is Langfuse?", "Langfuse is a tool designed", 13
    ),
    # invoke_agent repeats the second call's usage (631): counted once.
    "microsoft-agent-2025-10-14.json": Facts(
        2,
        (("get_weather", "call_Sz1QP8T7fuJkIECGDLFWOorq", LinkedBy.CALL_ID),),
        "What's the weather like in Portland?",
        "The weather in Portland is currently stormy",
        656,
    ),
    "openai-agents-2025-09-30.json": Facts(
        2,
        (("get_weather", "call_Kud0j0DxWSmLzv9W5m6qVqXn", LinkedBy.NAME_ORDER),),
        "What's the weather in Tokyo?",
        "The weather in Tokyo is currently sunny.",
        140,
    ),
    "openai-assistants-2024-05-29.json": Facts(
        1, (), "I need to solve the equation `3x + 11 = 14`.", "Sure, first subtract 11", 49
    ),
    # Agent-run spans carry summed usage under gen_ai.usage.*: only the 4 chat calls count.
    "pydantic-ai-tools-2025-12-04.json": Facts(
        4,
        (
            ("get_pun_suggestion", "call_X0OSgjUukT5inyEQvuZQnHrk", LinkedBy.CALL_ID),
            ("get_dad_joke_suggestion", "call_WxZcCvSDhGT4RJHlcU01k10x", LinkedBy.CALL_ID),
            ("get_one_liner_suggestion", "call_aRaObiWKKt6GzgDkkUl3bu1Q", LinkedBy.CALL_ID),
            ("final_result", "call_ZuzwalMMtvv9BC6xlVe3fiBP", LinkedBy.REQUEST_ONLY),
        ),
        "Select and call THREE of the available tools",
        "I gathered some great ideas for a programming joke!",
        1315,
    ),
}


def test_every_exported_trace_has_facts() -> None:
    assert {p.name for p in TRACES.glob("*.json")} == set(FACTS)


@pytest.mark.parametrize("name", sorted(FACTS))
def test_langfuse_export_reconstructs_to_the_checked_facts(name: str) -> None:
    path: Path = TRACES / name
    facts = FACTS[name]
    conversation = build_conversation("s", spans_from_langfuse_export(path), [])
    assert len(conversation.trace_ids) == 1
    (turn,) = conversation.turns
    assert not any("could not be reconstructed" in note for note in turn.notes)
    assert len(turn.llm_calls) == facts.llm_calls
    assert tuple((t.name, t.call_id, t.linked_by) for t in turn.tool_calls) == facts.tools
    assert (turn.user_text or "").startswith(facts.user_starts)
    assert (turn.assistant_text or "").startswith(facts.assistant_starts)
    assert turn.usage.input_tokens == facts.input_tokens


def test_tool_arguments_and_results_are_parsed_objects() -> None:
    path = TRACES / "microsoft-agent-2025-10-14.json"
    conversation = build_conversation("s", spans_from_langfuse_export(path), [])
    (tool,) = conversation.turns[0].tool_calls
    assert tool.arguments == {"location": "Portland"}
    assert tool.result == "The weather in Portland is stormy with a high of 19°C."
    assert conversation.agent.tools[0].name == "get_weather"
