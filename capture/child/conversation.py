"""The conversation every stack has, and its one tool. Plain Python, no dependencies: the
harness (main environment) and every stack's agent (its own virtual environment) import it.

Turn 1 makes the model ask for two `get_weather` calls in one message (parallel tool calls)
and answer from both results; turn 2 is answered without a tool.
"""

from __future__ import annotations

import json
import os

USER_TURNS: tuple[str, ...] = (
    "What's the weather in Paris and in Tokyo right now?",
    "Thanks! Which of the two is warmer?",
)
SYSTEM_PROMPT = "You are a weather assistant. Use get_weather for every city asked about."
REQUEST_MODEL = "gpt-4o-mini"
# What the scripted server reports back, as a real endpoint names the snapshot that answered.
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "Current weather of a city."
CITIES = ("Paris", "Tokyo")
_WEATHER = {
    "Paris": {"temperature_c": 14, "conditions": "rainy"},
    "Tokyo": {"temperature_c": 22, "conditions": "sunny"},
}


def get_weather(city: str) -> str:
    """The tool: the weather of `city` as JSON text (every framework passes text through)."""
    return json.dumps({"city": city, **_WEATHER.get(city, {"error": "unknown city"})})


def node_settings() -> dict[str, object]:
    """The same conversation for the Node agents (the harness passes it as
    CAPTURE_CONVERSATION, JSON): texts, models, the tool and its answers per city."""
    return {
        "userTurns": list(USER_TURNS),
        "systemPrompt": SYSTEM_PROMPT,
        "requestModel": REQUEST_MODEL,
        "toolName": TOOL_NAME,
        "toolDescription": TOOL_DESCRIPTION,
        "weather": {city: get_weather(city) for city in CITIES},
    }


def session_id() -> str | None:
    """The conversation's session id the harness chose, or None for a keyless capture."""
    return os.environ.get("CAPTURE_SESSION_ID") or None


def print_replies(replies: list[str]) -> None:
    """The agent's last output line: its replies as JSON, for the harness to check."""
    print(json.dumps({"replies": replies}), flush=True)
