"""LlamaIndex `FunctionAgent` (llama-index-core agent workflow) on llama-index-llms-openai,
traced by openinference-instrumentation-llama-index.

The conversation is one workflow `Context` reused across turns (LlamaIndex's own memory);
OpenInference's session key comes from `using_session`.
"""

from __future__ import annotations

import asyncio
import os

from conversation import (
    REQUEST_MODEL,
    SYSTEM_PROMPT,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    USER_TURNS,
    get_weather,
    print_replies,
    session_id,
)
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import Context
from llama_index.llms.openai import OpenAI
from openinference.instrumentation import using_session
from openinference.instrumentation.llama_index import LlamaIndexInstrumentor
from telemetry import start_telemetry


async def converse(sid: str) -> list[str]:
    llm = OpenAI(model=REQUEST_MODEL, api_base=os.environ["OPENAI_BASE_URL"], max_retries=0)
    tool = FunctionTool.from_defaults(get_weather, name=TOOL_NAME, description=TOOL_DESCRIPTION)
    agent = FunctionAgent(tools=[tool], llm=llm, system_prompt=SYSTEM_PROMPT)
    context = Context(agent)
    replies: list[str] = []
    for text in USER_TURNS:
        with using_session(sid):
            response = await agent.run(user_msg=text, ctx=context)
        replies.append(str(response))
    return replies


def main() -> None:
    telemetry = start_telemetry("weather-agent")
    LlamaIndexInstrumentor().instrument()
    sid = session_id()
    assert sid is not None
    replies = asyncio.run(converse(sid))
    telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
