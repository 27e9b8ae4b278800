"""The scripted model every stack talks to (served by otel_replay.testing.FakeOpenAIServer).

It reads the latest user message and the tool results after it: a weather question gets one
`get_weather` call per city in a single message (parallel tool calls); once the results are
back it answers from them; the follow-up question is answered without a tool.
"""

from __future__ import annotations

import json
from typing import Any

from child.conversation import CITIES, TOOL_NAME

from otel_replay.testing import ScriptedReply, ScriptedToolCall, message_text


def _result(message: dict[str, Any]) -> dict[str, Any]:
    text = message_text(message)
    try:
        value = json.loads(text)
    except ValueError:
        return {"raw": text}
    if isinstance(value, dict) and set(value) == {"result"} and isinstance(value["result"], str):
        # Google ADK sends a function's non-dict return value as {"result": <value>}.
        return _result({"content": value["result"]})
    return value if isinstance(value, dict) else {"raw": text}


def weather_model(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ScriptedReply:
    """A deterministic stand-in for the model, for `FakeOpenAIServer(weather_model)`."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    asked = message_text(messages[last_user]).lower() if last_user >= 0 else ""
    results = [_result(m) for m in messages[last_user + 1 :] if m.get("role") == "tool"]
    if "warmer" in asked:
        return ScriptedReply(text="Tokyo is warmer: 22°C, against 14°C in Paris.")
    if "weather" in asked and not results:
        return ScriptedReply(
            tool_calls=tuple(ScriptedToolCall(TOOL_NAME, {"city": city}) for city in CITIES)
        )
    if results:
        parts = [
            f"{r.get('city', '?')}: {r.get('temperature_c', '?')}°C and {r.get('conditions', '?')}."
            for r in results
        ]
        return ScriptedReply(text=" ".join(parts))
    return ScriptedReply(text="Ask me about the weather in a city.")
