"""Google ADK (`LlmAgent`, `Runner`) with its built-in OpenTelemetry tracing, on an OpenAI
model through ADK's LiteLLM wrapper (`LiteLlm`, model `openai/...`).

The conversation is an ADK session (`InMemorySessionService`) whose id is the capture's
session id; ADK stamps it on its spans itself.
"""

from __future__ import annotations

import asyncio
import os

from conversation import (
    REQUEST_MODEL,
    SYSTEM_PROMPT,
    USER_TURNS,
    print_replies,
    session_id,
)
from conversation import get_weather as weather
from google.adk.agents import LlmAgent
from google.adk.models.lite_llm import LiteLlm
from google.adk.runners import Runner
from google.adk.sessions import InMemorySessionService
from google.genai import types
from telemetry import start_telemetry


def get_weather(city: str) -> str:
    """Current weather of a city.

    Args:
        city: The city.
    """
    return weather(city)


async def converse(sid: str) -> list[str]:
    model = LiteLlm(
        model=f"openai/{REQUEST_MODEL}",
        api_base=os.environ["OPENAI_BASE_URL"],
        api_key=os.environ["OPENAI_API_KEY"],
    )
    agent = LlmAgent(
        name="weather_agent", model=model, instruction=SYSTEM_PROMPT, tools=[get_weather]
    )
    sessions = InMemorySessionService()
    await sessions.create_session(app_name="weather", user_id="user-1", session_id=sid)
    runner = Runner(agent=agent, app_name="weather", session_service=sessions)
    replies: list[str] = []
    for text in USER_TURNS:
        message = types.Content(role="user", parts=[types.Part(text=text)])
        reply = ""
        async for event in runner.run_async(user_id="user-1", session_id=sid, new_message=message):
            if event.is_final_response() and event.content and event.content.parts:
                reply = "".join(part.text or "" for part in event.content.parts)
        replies.append(reply)
    return replies


def main() -> None:
    telemetry = start_telemetry("weather-agent")
    sid = session_id()
    assert sid is not None
    replies = asyncio.run(converse(sid))
    telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
