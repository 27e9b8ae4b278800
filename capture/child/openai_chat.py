"""A plain agent on the `openai` client (chat completions, a tool loop), instrumented by
openai-v2 or OpenInference, or by nothing when run under `opentelemetry-instrument`.

    python openai_chat.py --instrumentation openai-v2|openinference|zero-code [--stream]

With a session id (CAPTURE_SESSION_ID) each user turn runs under an application span, like
a request handler's, in one trace per turn; the id goes in baggage as `session.id`, and the
baggage span processor (opentelemetry-processor-baggage) copies it onto every span, as the
openai-v2 docs suggest; OpenInference also gets `using_session`. Zero-code runs have no
application span and no session key: each model call is a trace of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import openai
from conversation import (
    REQUEST_MODEL,
    SYSTEM_PROMPT,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    USER_TURNS,
    get_weather,
    print_replies,
    session_id,
)
from opentelemetry import baggage, context, trace

TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _complete(client: openai.OpenAI, messages: list[Any], stream: bool) -> dict[str, Any]:
    """One model call; the assistant message as a dict (a stream is added up first)."""
    if not stream:
        response = client.chat.completions.create(
            model=REQUEST_MODEL, messages=messages, tools=TOOLS
        )
        return response.choices[0].message.model_dump(exclude_none=True)
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    for chunk in client.chat.completions.create(
        model=REQUEST_MODEL,
        messages=messages,
        tools=TOOLS,
        stream=True,
        stream_options={"include_usage": True},
    ):
        for choice in chunk.choices:
            text.append(choice.delta.content or "")
            for delta in choice.delta.tool_calls or ():
                call = calls.setdefault(
                    delta.index,
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                call["id"] = delta.id or call["id"]
                if delta.function is not None:
                    call["function"]["name"] += delta.function.name or ""
                    call["function"]["arguments"] += delta.function.arguments or ""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return message


def answer(client: openai.OpenAI, messages: list[Any], stream: bool) -> str:
    """Run the tool loop until the model answers with text."""
    while True:
        message = _complete(client, messages, stream)
        messages.append(message)
        if not message.get("tool_calls"):
            return str(message.get("content") or "")
        for call in message["tool_calls"]:
            arguments = json.loads(call["function"]["arguments"])
            messages.append(
                {"role": "tool", "tool_call_id": call["id"], "content": get_weather(**arguments)}
            )


@contextlib.contextmanager
def _in_session(sid: str | None, instrumentation: str) -> Iterator[None]:
    if sid is None:
        yield
        return
    token = context.attach(baggage.set_baggage("session.id", sid))
    try:
        if instrumentation == "openinference":
            from openinference.instrumentation import using_session

            with using_session(sid):
                yield
        else:
            yield
    finally:
        context.detach(token)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instrumentation", required=True)
    parser.add_argument("--stream", action="store_true")
    args = parser.parse_args()
    telemetry = None
    if args.instrumentation != "zero-code":
        from opentelemetry.processor.baggage import ALLOW_ALL_BAGGAGE_KEYS, BaggageSpanProcessor
        from telemetry import start_telemetry

        telemetry = start_telemetry("weather-agent", BaggageSpanProcessor(ALLOW_ALL_BAGGAGE_KEYS))
        if args.instrumentation == "openai-v2":
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

            OpenAIInstrumentor().instrument()
        else:
            from openinference.instrumentation.openai import (
                OpenAIInstrumentor as OpenInferenceInstrumentor,
            )

            OpenInferenceInstrumentor().instrument()
    sid = session_id()
    tracer = trace.get_tracer("weather-agent")
    client = openai.OpenAI(max_retries=0)
    messages: list[Any] = [{"role": "system", "content": SYSTEM_PROMPT}]
    replies: list[str] = []
    with _in_session(sid, args.instrumentation):
        for text in USER_TURNS:
            messages.append({"role": "user", "content": text})
            if sid is None:
                replies.append(answer(client, messages, args.stream))
            else:
                with tracer.start_as_current_span("POST /chat"):
                    replies.append(answer(client, messages, args.stream))
    if telemetry is not None:
        telemetry.shutdown()
    else:
        # Zero-code: the distro owns the providers; flush them before exiting.
        provider: Any = trace.get_tracer_provider()
        provider.force_flush()
        from opentelemetry._logs import get_logger_provider

        logger_provider: Any = get_logger_provider()
        logger_provider.force_flush()
    print_replies(replies)


if __name__ == "__main__":
    main()
