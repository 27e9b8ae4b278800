"""LangChain v1 `create_agent` (a LangGraph graph) with `ChatOpenAI`, traced by
openinference-instrumentation-langchain.

The conversation is a LangGraph thread: an in-memory checkpointer keyed by `thread_id`
(LangGraph's own conversation id); OpenInference's session key comes from `using_session`.
`ToolNode` runs the two parallel tool calls concurrently: threads for the sync tool, or with
`--async` (`ainvoke`, an async tool) asyncio tasks.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from conversation import (
    REQUEST_MODEL,
    SYSTEM_PROMPT,
    TOOL_NAME,
    USER_TURNS,
    get_weather,
    print_replies,
    session_id,
)
from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from openinference.instrumentation import using_session
from openinference.instrumentation.langchain import LangChainInstrumentor
from telemetry import start_telemetry


@tool(TOOL_NAME)
def weather_tool(city: str) -> str:
    """Current weather of a city."""
    return get_weather(city)


@tool(TOOL_NAME)
async def async_weather_tool(city: str) -> str:
    """Current weather of a city."""
    await asyncio.sleep(0)
    return get_weather(city)


def main() -> None:
    telemetry = start_telemetry("weather-agent")
    LangChainInstrumentor().instrument()
    sid = session_id()
    assert sid is not None
    model = ChatOpenAI(model=REQUEST_MODEL, base_url=os.environ["OPENAI_BASE_URL"], max_retries=0)
    run_async = "--async" in sys.argv
    agent = create_agent(
        model,
        tools=[async_weather_tool if run_async else weather_tool],
        system_prompt=SYSTEM_PROMPT,
        checkpointer=InMemorySaver(),
    )
    replies: list[str] = []
    for text in USER_TURNS:
        turn = {"messages": [{"role": "user", "content": text}]}
        config: Any = {"configurable": {"thread_id": sid}}
        with using_session(sid):
            if run_async:
                state = asyncio.run(agent.ainvoke(turn, config))
            else:
                state = agent.invoke(turn, config)
        replies.append(str(state["messages"][-1].content))
    telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
