"""A two-turn agent session recorded with the real OpenTelemetry SDK, ready for the exporters.

Ids and times are fixed, so tests can state exactly what the receiver must store.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from otel_replay.core.records import Attributes
from tests.builders import SECOND, T0

CONVERSATION_ID = "conv-42"
TURN_1_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TURN_2_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TURN_1_ROOT_ID = "00f067aa0ba902b7"
TURN_2_ROOT_ID = "00f067aa0ba902b8"
CHAT_SPAN_ID = "00f067aa0ba902b9"
TOOL_SPAN_ID = "00f067aa0ba902ba"

CHAT_ATTRIBUTES: Attributes = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.request.temperature": 0.2,
    "gen_ai.usage.input_tokens": 121,
    "gen_ai.request.stop_sequences": ["\n\n", "END"],
    "gen_ai.input.messages": {
        "role": "user",
        "parts": [{"type": "text", "content": "Thanks! Should I bring an umbrella?"}],
    },
    "stream": False,
}
CHOICE_EVENT_ATTRIBUTES: Attributes = {
    "index": 0,
    "message": {"role": "assistant", "content": "Yes, it is raining in Paris."},
}
LINK_ATTRIBUTES: Attributes = {"link.reason": "previous_turn", "turn": 1}
LOG_BODY: Attributes = {
    "role": "assistant",
    "content": "Yes, it is raining in Paris.",
    "tool_calls": [],
}
LOG_ATTRIBUTES: Attributes = {
    "gen_ai.system": "openai",
    "timing": {"latency_ms": 812, "cached": True},
}
RESOURCE_ATTRIBUTES: Attributes = {
    "service.name": "weather-agent",
    "deployment.environment": "test",
}


class _FixedIds(IdGenerator):
    def __init__(self) -> None:
        self._traces = iter([int(TURN_1_TRACE_ID, 16), int(TURN_2_TRACE_ID, 16)])
        self._spans = (int(TURN_1_ROOT_ID, 16) + i for i in itertools.count())

    def generate_span_id(self) -> int:
        return next(self._spans)

    def generate_trace_id(self) -> int:
        return next(self._traces)


@dataclass(frozen=True)
class RecordedSession:
    spans: Sequence[ReadableSpan]
    log_records: Sequence[ReadableLogRecord]


def record_session() -> RecordedSession:
    """Two traces of one conversation: attributes, nested values, an event, a link, a log."""
    resource = Resource(RESOURCE_ATTRIBUTES)
    span_sink = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=resource, id_generator=_FixedIds())
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_sink))
    log_sink = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_sink))
    tracer = tracer_provider.get_tracer("weather-agent", "2.1.0")
    logger = logger_provider.get_logger("weather-agent")
    try:
        turn_1 = tracer.start_span(
            "invoke_agent weather",
            attributes={"gen_ai.conversation.id": CONVERSATION_ID},
            start_time=T0,
        )
        turn_1.end(end_time=T0 + 3 * SECOND)
        turn_2 = tracer.start_span(
            "invoke_agent weather",
            context=trace.set_span_in_context(trace.INVALID_SPAN),
            attributes={"gen_ai.conversation.id": CONVERSATION_ID},
            links=[Link(turn_1.get_span_context(), LINK_ATTRIBUTES)],
            start_time=T0 + 60 * SECOND,
        )
        in_turn_2 = trace.set_span_in_context(turn_2)
        chat = tracer.start_span(
            "chat gpt-4o",
            context=in_turn_2,
            kind=SpanKind.CLIENT,
            attributes=CHAT_ATTRIBUTES,
            start_time=T0 + 61 * SECOND,
        )
        chat.add_event("gen_ai.choice", CHOICE_EVENT_ATTRIBUTES, timestamp=T0 + 62 * SECOND)
        logger.emit(
            timestamp=T0 + 62 * SECOND,
            observed_timestamp=T0 + 62 * SECOND + 1,
            context=trace.set_span_in_context(chat),
            severity_number=SeverityNumber.INFO,
            severity_text="INFO",
            body=LOG_BODY,
            attributes=LOG_ATTRIBUTES,
            event_name="gen_ai.choice",
        )
        chat.end(end_time=T0 + 63 * SECOND)
        tool = tracer.start_span(
            "execute_tool get_weather",
            context=in_turn_2,
            attributes={"gen_ai.tool.name": "get_weather"},
            start_time=T0 + 63 * SECOND,
        )
        tool.set_status(Status(StatusCode.ERROR, "weather service timed out"))
        tool.end(end_time=T0 + 64 * SECOND)
        turn_2.end(end_time=T0 + 65 * SECOND)
        return RecordedSession(span_sink.get_finished_spans(), log_sink.get_finished_logs())
    finally:
        tracer_provider.shutdown()
        logger_provider.shutdown()
