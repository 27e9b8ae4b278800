"""pydantic-ai with its built-in OpenTelemetry instrumentation (`Agent.instrument_all()`,
the default InstrumentationSettings), on an OpenAI chat model.

Each user turn is `agent.run_sync` (with `--stream`: `agent.run_stream`) with the previous
turn's message history and the conversation id (`conversation_id`, which pydantic-ai writes
as `gen_ai.conversation.id`).
"""

from __future__ import annotations

import asyncio
import os
import sys

from conversation import (
    REQUEST_MODEL,
    SYSTEM_PROMPT,
    TOOL_NAME,
    USER_TURNS,
    get_weather,
    print_replies,
    session_id,
)
from pydantic_ai import Agent
from pydantic_ai.agent import AbstractAgent
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from telemetry import start_telemetry


async def converse_streamed(agent: AbstractAgent[None, str], sid: str) -> list[str]:
    history: list[ModelMessage] = []
    replies: list[str] = []
    for text in USER_TURNS:
        async with agent.run_stream(text, message_history=history, conversation_id=sid) as run:
            replies.append(await run.get_output())
        history = run.all_messages()
    return replies


def main() -> None:
    telemetry = start_telemetry("weather-agent")
    Agent.instrument_all()
    sid = session_id()
    assert sid is not None
    provider = OpenAIProvider(
        base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]
    )
    agent = Agent(
        OpenAIChatModel(REQUEST_MODEL, provider=provider),
        instructions=SYSTEM_PROMPT,
        name="weather-agent",
    )

    @agent.tool_plain(name=TOOL_NAME)
    def weather_tool(city: str) -> str:
        """Current weather of a city."""
        return get_weather(city)

    if "--stream" in sys.argv:
        replies = asyncio.run(converse_streamed(agent, sid))
    else:
        history: list[ModelMessage] = []
        replies = []
        for text in USER_TURNS:
            result = agent.run_sync(text, message_history=history, conversation_id=sid)
            history = result.all_messages()
            replies.append(result.output)
    telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
