"""Run the support agent through scripted customer sessions, exporting spans over OTLP.

This is "production": its own process, the official SDK and OTLP exporter, pointed at a
receiver. `python -m otel_replay.demo.record --endpoint 127.0.0.1:4317 [--fixed]`.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from opentelemetry import baggage, context, trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from otel_replay.demo.support_agent import CUSTOMER_SESSIONS, buggy_agent, fixed_agent


def record_sessions(
    endpoint: str, *, buggy: bool = True, sessions: Mapping[str, Sequence[str]] = CUSTOMER_SESSIONS
) -> dict[str, list[str]]:
    """Run each session's user messages through the agent; returns the agent's replies."""
    provider = TracerProvider(resource=Resource.create({"service.name": "support-agent"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True))
    )
    trace.set_tracer_provider(provider)
    agent = buggy_agent if buggy else fixed_agent
    replies: dict[str, list[str]] = {}
    for session_id, user_messages in sessions.items():
        token = context.attach(baggage.set_baggage("session.id", session_id))
        try:
            messages: list[dict[str, object]] = []
            for text in user_messages:
                messages.append({"role": "user", "content": text})
                reply = agent(messages)
                messages.append({"role": "assistant", "content": reply})
                replies.setdefault(session_id, []).append(reply)
        finally:
            context.detach(token)
    provider.shutdown()
    return replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", default="127.0.0.1:4317", help="OTLP/gRPC HOST:PORT")
    parser.add_argument("--fixed", action="store_true", help="record the fixed agent instead")
    args = parser.parse_args()
    for session_id, replies in record_sessions(args.endpoint, buggy=not args.fixed).items():
        print(f"{session_id}: {len(replies)} turn(s)")


if __name__ == "__main__":
    main()
