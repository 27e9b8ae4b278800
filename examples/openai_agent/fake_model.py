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

from otel_replay.testing import FakeOpenAIServer, ScriptedReply, ScriptedToolCall

# The model name the fake reports back, as a real endpoint names the snapshot that answered.
FAKE_RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
Message = dict[str, Any]


def scripted_model(messages: list[Message], tools: list[dict[str, Any]]) -> ScriptedReply:
    """A deterministic stand-in for the model, for `FakeOpenAIServer(scripted_model)`."""
    last = messages[-1]
    if last.get("role") == "tool":
        result = json.loads(last["content"])
        if "error" in result:
            return ScriptedReply(text=f"Sorry, that failed: {result['error']}")
        if "refund" in result:
            return ScriptedReply(text=f"I have refunded order {result['order_id']}.")
        return ScriptedReply(text=f"Order {result['order_id']} is {result['status']}.")
    text = str(last.get("content") or "").lower()
    found = re.search(r"\b(\d{3,})\b", text)
    if found:
        name = "issue_refund" if "refund" in text else "check_status"
        return ScriptedReply(tool_calls=(ScriptedToolCall(name, {"order_id": found.group(1)}),))
    if "thank" in text:
        return ScriptedReply(text="You're welcome! Anything else?")
    return ScriptedReply(text="Happy to help. What is your order number?")


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
