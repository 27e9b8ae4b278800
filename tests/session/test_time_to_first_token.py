from __future__ import annotations

from dataclasses import replace

import pytest

from otel_replay.core.records import AnyValue, SpanEvent
from otel_replay.semconv.normalise import build_llm_call
from otel_replay.session.turns import build_conversation
from tests.builders import make_span
from tests.conftest import FIXTURES, SEMCONV_FIXTURES
from tests.semconv.otlp_files import load_spans


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"gen_ai.response.time_to_first_chunk": 0.25}, 250_000_000),
        ({"gen_ai.client.operation.time_to_first_chunk": 0.105}, 105_000_000),
        ({"ai.response.msToFirstChunk": 120.5}, 120_500_000),
        ({"metrics.ttfb": 0.41}, 410_000_000),
        # Strands: milliseconds, sometimes as text.
        ({"gen_ai.server.time_to_first_token": 327}, 327_000_000),
        ({"gen_ai.server.time_to_first_token": "53"}, 53_000_000),
        ({}, None),
        ({"gen_ai.response.time_to_first_chunk": "soon"}, None),
    ],
)
def test_time_to_first_token_is_read_from_each_convention_that_records_it(
    attributes: dict[str, AnyValue], expected: int | None
) -> None:
    span = make_span(
        1, 1, name="chat gpt-4o", attributes={"gen_ai.operation.name": "chat", **attributes}
    )
    assert build_llm_call(span).time_to_first_token_unix_nano == expected


def test_pipecat_turns_report_their_first_model_calls_time_to_first_token() -> None:
    spans = load_spans(SEMCONV_FIXTURES / "pipecat.json")
    conversation = build_conversation("pipecat-session-001", spans, [])
    assert [t.time_to_first_token_unix_nano for t in conversation.turns] == [410_000_000] * 2


def test_openinference_first_token_stream_event_time_after_the_span_start_is_the_ttft() -> None:
    span = make_span(1, 1, name="ChatCompletion", attributes={"openinference.span.kind": "LLM"})
    event = SpanEvent(
        name="First Token Stream Event", time_unix_nano=span.start_time_unix_nano + 67
    )
    other = SpanEvent(name="other", time_unix_nano=span.start_time_unix_nano + 5)
    streamed = replace(span, events=(other, event))
    assert build_llm_call(streamed).time_to_first_token_unix_nano == 67
    assert build_llm_call(span).time_to_first_token_unix_nano is None


def test_strands_capture_reports_its_millisecond_ttft_per_model_call() -> None:
    spans = load_spans(FIXTURES / "captures" / "strands" / "traces.json")
    conversation = build_conversation("capture-strands", spans, [])
    ttft = [[c.time_to_first_token_unix_nano for c in t.llm_calls] for t in conversation.turns]
    assert ttft == [[327_000_000, 53_000_000], [54_000_000]]
