"""Strands Agents with its built-in OpenTelemetry tracing (GenAI semconv spans), on the
OpenAI model provider (which streams with usage).

One `Agent` holds the conversation across turns; the session id goes on every span through
`trace_attributes={"session.id": ...}`, as the Strands docs show.
"""

from __future__ import annotations

import os

from conversation import (
    REQUEST_MODEL,
    SYSTEM_PROMPT,
    TOOL_NAME,
    USER_TURNS,
    get_weather,
    print_replies,
    session_id,
)
from strands import Agent, tool
from strands.models.openai import OpenAIModel
from telemetry import start_telemetry


@tool(name=TOOL_NAME)
def weather_tool(city: str) -> str:
    """Current weather of a city.

    Args:
        city: The city.
    """
    return get_weather(city)


def main() -> None:
    telemetry = start_telemetry("weather-agent")
    sid = session_id()
    assert sid is not None
    model = OpenAIModel(
        client_args={
            "base_url": os.environ["OPENAI_BASE_URL"],
            "api_key": os.environ["OPENAI_API_KEY"],
            "max_retries": 0,
        },
        model_id=REQUEST_MODEL,
    )
    agent = Agent(
        model=model,
        system_prompt=SYSTEM_PROMPT,
        tools=[weather_tool],
        name="weather-agent",
        trace_attributes={"session.id": sid},
        callback_handler=None,
    )
    replies = [str(agent(text)).strip() for text in USER_TURNS]
    telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
