"""Run customer conversations through the openai support agent, exporting over OTLP/HTTP.

This is "production": its own process, the official SDK, the OTLP trace and log exporters
(the openai-v2 instrumentation can put message content in log records), and an OpenAI
instrumentation. It prints the agent's replies as JSON, keyed by session id.

    python -m examples.openai_agent.record --otlp http://127.0.0.1:4318 \
        --instrumentation openinference --fake-model
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from opentelemetry import baggage, context, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.openai_agent.agent import answer, instrument
from examples.openai_agent.fake_model import FAKE_RESPONSE_MODEL, scripted_model
from otel_replay.testing import FakeOpenAIServer

# Three turns: two orders looked up at once (parallel tool calls), a refund that is looked
# up and then issued (sequential tool calls), and a reply with no tool at all.
SESSIONS: dict[str, list[str]] = {
    "openai-support-001": [
        "Hi! Where are my orders 123 and 456?",
        "Order 456 arrived damaged. Please refund it.",
        "Thanks!",
    ],
}


@contextmanager
def _session(session_id: str, instrumentation: str) -> Iterator[None]:
    """Mark everything in the block as one session: the `session.id` baggage entry (which the
    agent copies onto its turn span) and, for OpenInference, `using_session`."""
    with ExitStack() as stack:
        token = context.attach(baggage.set_baggage("session.id", session_id))
        stack.callback(context.detach, token)
        if instrumentation == "openinference":
            from openinference.instrumentation import using_session

            stack.enter_context(using_session(session_id))
        yield


def record_sessions(
    otlp_url: str,
    instrumentation: str,
    sessions: Mapping[str, Sequence[str]] = SESSIONS,
    *,
    stream: bool = False,
    base_url: str | None = None,
) -> dict[str, list[str]]:
    """Answer each session's user messages in turn; returns the replies."""
    resource = Resource.create({"service.name": "openai-support-agent"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_url}/v1/traces"))
    )
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{otlp_url}/v1/logs"))
    )
    trace.set_tracer_provider(tracer_provider)
    set_logger_provider(logger_provider)
    uninstrument = instrument(instrumentation)
    replies: dict[str, list[str]] = {}
    try:
        for session_id, texts in sessions.items():
            with _session(session_id, instrumentation):
                messages: list[dict[str, Any]] = []
                for text in texts:
                    messages.append({"role": "user", "content": text})
                    reply = answer(messages, stream=stream, base_url=base_url)
                    messages.append({"role": "assistant", "content": reply})
                    replies.setdefault(session_id, []).append(reply)
    finally:
        uninstrument()
        tracer_provider.shutdown()
        logger_provider.shutdown()
    return replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--otlp", default="http://127.0.0.1:4318", help="OTLP/HTTP base URL")
    parser.add_argument(
        "--instrumentation", choices=["openinference", "openai-v2"], default="openinference"
    )
    parser.add_argument("--stream", action="store_true", help="stream the model's replies")
    parser.add_argument("--session-id", default=None, help="record the demo session under this id")
    parser.add_argument(
        "--base-url", default=None, help="OpenAI-compatible base URL (default: OPENAI_BASE_URL)"
    )
    parser.add_argument(
        "--fake-model",
        action="store_true",
        help="answer with the scripted model of otel_replay.testing.FakeOpenAIServer",
    )
    args = parser.parse_args()
    sessions = SESSIONS
    if args.session_id:
        sessions = {args.session_id: next(iter(SESSIONS.values()))}
    with ExitStack() as stack:
        base_url = args.base_url
        if args.fake_model:
            server = stack.enter_context(
                FakeOpenAIServer(scripted_model, model=FAKE_RESPONSE_MODEL)
            )
            base_url = server.base_url
        replies = record_sessions(
            args.otlp, args.instrumentation, sessions, stream=args.stream, base_url=base_url
        )
    print(json.dumps(replies))


if __name__ == "__main__":
    main()
