"""pydantic-ai with its built-in OpenTelemetry instrumentation (`Agent.instrument_all()`,
the default InstrumentationSettings), on an OpenAI chat model.

Each user turn is `agent.run_sync` with the previous turn's message history and the
conversation id (`conversation_id`, which pydantic-ai writes as `gen_ai.conversation.id`).
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
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from telemetry import start_telemetry


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

    history: list[ModelMessage] = []
    replies: list[str] = []
    for text in USER_TURNS:
        result = agent.run_sync(text, message_history=history, conversation_id=sid)
        history = result.all_messages()
        replies.append(result.output)
    telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
