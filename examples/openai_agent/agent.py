"""A customer-support agent on the real `openai` client, ready to be recorded and replayed.

- The model is whatever `OPENAI_BASE_URL` (or `base_url=`) points at: an OpenAI-compatible
  endpoint, or otel-replay's `FakeOpenAIServer` running `fake_model.scripted_model` for a
  deterministic run. `OPENAI_API_KEY` defaults to a placeholder, which a fake server ignores.
- Its tools are decorated with `otel_replay.tool`: during a replay they answer with the
  recorded results, so the refund tool never pays out twice.
- Each user turn is one `invoke_agent` span carrying the session id of the `session.id`
  baggage entry (otel-replay sets it while replaying); the model calls under it are traced by
  the OpenAI instrumentation `instrument()` installs.

Replay form: `answer(messages) -> str` (`--agent examples.openai_agent.agent:answer`), or the
factory `openinference_agent`, which also traces the model calls of the replay.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from opentelemetry import baggage, trace

import otel_replay

Message = dict[str, Any]

MODEL = "gpt-4o-mini"
MAX_STEPS = 5
SYSTEM_PROMPT = (
    "You are the support agent of an online shop. Look orders up with check_status; call "
    "issue_refund only when the customer asks for a refund."
)
TOOL_SPECS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "check_status",
            "description": "Look up the shipping status of an order.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "issue_refund",
            "description": "Refund an order in full. Money leaves the shop.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
]

# The warehouse the tools read and write; a replay never touches it.
ORDERS: dict[str, str] = {"123": "in transit, arriving Friday", "456": "delivered"}
REFUNDS: list[str] = []


@otel_replay.tool
def check_status(order_id: str) -> dict[str, str]:
    """Look up an order's shipping status."""
    return {"order_id": order_id, "status": ORDERS.get(order_id, "unknown order")}


@otel_replay.tool
def issue_refund(order_id: str) -> dict[str, str]:
    """Refund an order: a side effect a replay must not repeat."""
    REFUNDS.append(order_id)
    return {"order_id": order_id, "refund": "issued"}


TOOLS: dict[str, Callable[..., dict[str, str]]] = {
    "check_status": check_status,
    "issue_refund": issue_refund,
}


def _client(base_url: str | None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url,  # None: the client reads OPENAI_BASE_URL
        api_key=os.environ.get("OPENAI_API_KEY") or "unused",
        max_retries=0,
    )


def _accumulate(chunks: Iterable[Any]) -> Message:
    """The assistant message that streamed chunks add up to."""
    text: list[str] = []
    calls: dict[int, Message] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                text.append(delta.content)
            for part in delta.tool_calls or ():
                call = calls.setdefault(
                    part.index,
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                call["id"] = part.id or call["id"]
                if part.function is not None:
                    call["function"]["name"] += part.function.name or ""
                    call["function"]["arguments"] += part.function.arguments or ""
    message: Message = {"role": "assistant", "content": "".join(text) or None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return message


def _complete(client: openai.OpenAI, history: list[Message], stream: bool) -> Message:
    """One model call; the assistant message as a plain dict."""
    messages = cast("list[ChatCompletionMessageParam]", history)
    if not stream:
        response = client.chat.completions.create(
            model=MODEL, messages=messages, tools=TOOL_SPECS, temperature=0
        )
        return response.choices[0].message.model_dump(exclude_none=True)
    chunks = client.chat.completions.create(
        model=MODEL,
        messages=messages,
        tools=TOOL_SPECS,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    try:
        return _accumulate(chunks)
    finally:
        chunks.close()


def _run_tool(call: Message) -> str:
    function = call["function"]
    try:
        result: Any = TOOLS[function["name"]](**json.loads(function["arguments"] or "{}"))
    except Exception as exc:  # the model is told, as a real tool runtime does
        result = {"error": f"{type(exc).__name__}: {exc}"}
    return json.dumps(result)


def answer(messages: list[Message], *, stream: bool = False, base_url: str | None = None) -> str:
    """Answer the last user message of `messages` (the conversation so far, without the
    system prompt): call the model, run the tools it asks for, until it answers in text."""
    tracer = trace.get_tracer("examples.openai_agent")
    attributes: dict[str, str] = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "support",
        "gen_ai.request.model": MODEL,
    }
    session_id = baggage.get_baggage("session.id")
    if session_id:
        attributes["gen_ai.conversation.id"] = str(session_id)
        attributes["session.id"] = str(session_id)
    with tracer.start_as_current_span("invoke_agent support", attributes=attributes):
        history: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT}, *messages]
        with _client(base_url) as client:
            for _ in range(MAX_STEPS):
                reply = _complete(client, history, stream)
                history.append(reply)
                if not reply.get("tool_calls"):
                    return str(reply.get("content") or "")
                for call in reply["tool_calls"]:
                    history.append(
                        {"role": "tool", "tool_call_id": call["id"], "content": _run_tool(call)}
                    )
        return "Sorry, I could not finish that."


def answer_streaming(messages: list[Message]) -> str:
    """`answer`, with the model's replies streamed."""
    return answer(messages, stream=True)


def _alias_httpx() -> None:
    # openai 3 moved to the `httpx2` fork while opentelemetry-instrumentation-openai-v2 still
    # imports `httpx`; httpx2's migration shim (meant for applications, as this is) makes
    # `import httpx` give openai's own module.
    try:
        import httpx2
    except ImportError:
        return  # openai < 3 uses httpx itself
    if "httpx" not in sys.modules:
        httpx2.alias_httpx()


def instrument(instrumentation: str) -> Callable[[], None]:
    """Install an OpenAI instrumentation on the global providers: `openinference`
    (openinference-instrumentation-openai) or `openai-v2` (opentelemetry-instrumentation-
    openai-v2; content capture follows OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).
    Returns the function that removes it again."""
    instrumentor: Any
    if instrumentation == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor

        instrumentor = OpenAIInstrumentor()
    elif instrumentation == "openai-v2":
        _alias_httpx()
        from opentelemetry.instrumentation.openai_v2 import (
            OpenAIInstrumentor as OpenAIV2Instrumentor,
        )

        instrumentor = OpenAIV2Instrumentor()  # type: ignore[no-untyped-call]
    else:
        raise ValueError(
            f"unknown instrumentation {instrumentation!r}: use 'openinference' or 'openai-v2'"
        )
    instrumentor.instrument()
    return cast("Callable[[], None]", instrumentor.uninstrument)


_INSTALLED: dict[str, Callable[[], None]] = {}


def openinference_agent() -> Callable[[list[Message]], str]:
    """An agent factory for `--agent examples.openai_agent.agent:openinference_agent`:
    `answer`, with OpenInference installed (once per process) so replays trace model calls."""
    if "openinference" not in _INSTALLED:
        _INSTALLED["openinference"] = instrument("openinference")
    return answer
