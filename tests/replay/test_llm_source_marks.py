"""Each replayed model span is marked with where the stand-in's answer came from, per turn
in call order; a turn whose spans and answers differ in number is left unmarked."""

from __future__ import annotations

from otel_replay.core.records import AnyValue
from otel_replay.otlp.convert import spans_from_request, spans_to_request
from otel_replay.replay.links import mark_llm_sources, plan_llm_sources
from otel_replay.semconv.keys import REPLAY_LLM_SOURCE
from tests.builders import make_span

CHAT: dict[str, AnyValue] = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}
TURNS = {f"{2:016x}": 0, f"{3:016x}": 1}


def test_model_spans_get_their_turns_sources_in_call_order() -> None:
    spans = [
        make_span(1, 1, name="otel_replay.replay s"),
        make_span(1, 2, 1, name="otel_replay.turn 1"),
        make_span(1, 3, 1, name="otel_replay.turn 2", start=10),
        make_span(1, 4, 2, name="chat m", start=1, attributes=CHAT),
        make_span(1, 5, 2, name="chat m", start=2, attributes=CHAT),
        make_span(1, 6, 3, name="chat m", start=11, attributes=CHAT),
    ]
    sources = {0: ["recorded", "live"], 1: ["recorded", "unanswered"]}
    request = spans_to_request(spans)

    planned = plan_llm_sources(spans, TURNS, lambda index: sources[index])
    mark_llm_sources(request, planned)

    marked = {s.span_id: s.attributes.get(REPLAY_LLM_SOURCE) for s in spans_from_request(request)}
    assert planned == {f"{4:016x}": "recorded", f"{5:016x}": "live"}  # turn 2: 1 span, 2 answers
    assert marked[f"{4:016x}"] == "recorded" and marked[f"{5:016x}"] == "live"
    assert marked[f"{6:016x}"] is None and marked[f"{2:016x}"] is None
