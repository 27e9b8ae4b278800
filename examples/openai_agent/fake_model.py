"""A scripted stand-in for the model: deterministic answers for the support agent.

`FakeOpenAIServer(scripted_model)` serves it in-process (the tests and `record --fake-model`
do that); `python -m examples.openai_agent.fake_model --port 8099` serves it until Ctrl-C, for
an agent in another process (`OPENAI_BASE_URL=http://127.0.0.1:8099/v1`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import threading
from typing import Any

from otel_replay.testing import FakeOpenAIServer, ScriptedReply, ScriptedToolCall, message_text

# The model name the fake reports back, as a real endpoint names the snapshot that answered.
FAKE_RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
Message = dict[str, Any]


def _orders(text: str) -> list[str]:
    return re.findall(r"\b(\d{3,})\b", text)


def _calls(name: str, orders: list[str]) -> ScriptedReply:
    # One tool call per order, all in one assistant message: parallel tool calls.
    return ScriptedReply(
        tool_calls=tuple(ScriptedToolCall(name, {"order_id": order}) for order in orders)
    )


def scripted_model(messages: list[Message], tools: list[dict[str, Any]]) -> ScriptedReply:
    """A deterministic stand-in for the model, for `FakeOpenAIServer(scripted_model)`.

    It reads the latest user message and the tool results that followed it: order numbers
    are looked up with check_status (several at once as parallel tool calls); a refund is
    looked up first, then issued with issue_refund (sequential calls); then it answers.
    """
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    asked = message_text(messages[last_user]).lower() if last_user >= 0 else ""
    results = [
        json.loads(message_text(m)) for m in messages[last_user + 1 :] if m.get("role") == "tool"
    ]
    orders = _orders(asked)
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        return ScriptedReply(text=f"Sorry, that failed: {failed[-1]}")
    if not results:
        if orders:
            return _calls("check_status", orders)
        if "thank" in asked:
            return ScriptedReply(text="You're welcome! Anything else?")
        return ScriptedReply(text="Happy to help. What is your order number?")
    if "refund" in asked:
        refunded = [r["order_id"] for r in results if "refund" in r]
        pending = [order for order in orders if order not in refunded]
        if pending:
            return _calls("issue_refund", pending)
        return ScriptedReply(text=" ".join(f"I have refunded order {o}." for o in refunded))
    return ScriptedReply(text=" ".join(f"Order {r['order_id']} is {r['status']}." for r in results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8099, help="port on 127.0.0.1")
    args = parser.parse_args()
    with FakeOpenAIServer(scripted_model, model=FAKE_RESPONSE_MODEL, port=args.port) as server:
        print(f"scripted model at {server.base_url} (Ctrl-C stops it)", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
