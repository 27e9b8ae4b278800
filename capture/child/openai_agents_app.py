"""The OpenAI Agents SDK (openai-agents) traced by openinference-instrumentation-openai-agents.

The Agents SDK talks to the model over chat completions (the scripted model serves only
that API). Its own conversation memory is a `SQLiteSession` with the capture's session id;
its own conversation key is RunConfig `group_id`; OpenInference's is `using_session`, which
its processor stamps on every span of the run as `session.id`. The instrumentor replaces
the SDK's default trace processor (which would export to OpenAI).
"""

from __future__ import annotations

import asyncio

from agents import Agent, RunConfig, Runner, SQLiteSession, function_tool, set_default_openai_api
from conversation import (
    REQUEST_MODEL,
    SYSTEM_PROMPT,
    TOOL_NAME,
    USER_TURNS,
    get_weather,
    print_replies,
    session_id,
)
from openinference.instrumentation import using_session
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from telemetry import start_telemetry


@function_tool(name_override=TOOL_NAME)
def weather_tool(city: str) -> str:
    """Current weather of a city.

    Args:
        city: The city.
    """
    return get_weather(city)


async def converse(sid: str) -> list[str]:
    agent = Agent(
        name="weather-agent", instructions=SYSTEM_PROMPT, model=REQUEST_MODEL, tools=[weather_tool]
    )
    memory = SQLiteSession(sid)
    replies: list[str] = []
    for text in USER_TURNS:
        with using_session(sid):
            result = await Runner.run(
                agent, text, session=memory, run_config=RunConfig(group_id=sid)
            )
        replies.append(str(result.final_output))
    return replies


def main() -> None:
    telemetry = start_telemetry("weather-agent")
    OpenAIAgentsInstrumentor().instrument()
    set_default_openai_api("chat_completions")
    sid = session_id()
    assert sid is not None
    replies = asyncio.run(converse(sid))
    telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
