"""LangChain v1 `create_agent` (a LangGraph graph) with `ChatOpenAI`, traced by
openinference-instrumentation-langchain.

The conversation is a LangGraph thread: an in-memory checkpointer keyed by `thread_id`
(LangGraph's own conversation id); OpenInference's session key comes from `using_session`.
`ToolNode` runs the two parallel tool calls concurrently.
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


def main() -> None:
    telemetry = start_telemetry("weather-agent")
    LangChainInstrumentor().instrument()
    sid = session_id()
    assert sid is not None
    model = ChatOpenAI(model=REQUEST_MODEL, base_url=os.environ["OPENAI_BASE_URL"], max_retries=0)
    agent = create_agent(
        model, tools=[weather_tool], system_prompt=SYSTEM_PROMPT, checkpointer=InMemorySaver()
    )
    replies: list[str] = []
    for text in USER_TURNS:
        with using_session(sid):
            state = agent.invoke(
                {"messages": [{"role": "user", "content": text}]},
                {"configurable": {"thread_id": sid}},
            )
        replies.append(str(state["messages"][-1].content))
    telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
