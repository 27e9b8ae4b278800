"""Agents whose refund tool is a real framework tool that nobody decorated for otel-replay:
a LangChain `@tool` (called directly and by a LangGraph `create_agent` graph), an OpenAI
Agents SDK `@function_tool` run by its `Runner`, an MCP server tool called through the MCP
client, and plain functions and methods sealed by import path.

Every tool body writes a file into `SIDE_EFFECTS` (a test's tmp_path), so a test sees whether
it ran. The models are `otel_replay.testing.FakeOpenAIServer`s a test puts in `MODEL_URL`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner, function_tool
from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, tool
from langchain_openai import ChatOpenAI
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import TextContent
from openai import AsyncOpenAI
from pydantic import SecretStr

from tests.replay.adapters import refunds
from tests.replay.adapters.refunds import issue_refund, side_effect

Message = dict[str, Any]
MODEL_URL = "http://127.0.0.1:9/v1"  # set by the test to its FakeOpenAIServer


def order_id(messages: list[Message]) -> str:
    found = re.search(r"\d+", str(messages[-1]["content"]))
    assert found is not None
    return found.group(0)


# LangChain / LangGraph ---------------------------------------------------------------------


@tool("issue_refund")
def refund_tool(order_id: str) -> str:
    """Refund an order."""
    side_effect("langchain", order_id)
    return json.dumps({"order_id": order_id, "refund": "issued"})


class RefundTool(BaseTool):
    """A tool written as a `BaseTool` subclass, as many toolkits' tools are."""

    name: str = "issue_refund"
    description: str = "Refund an order."

    def _run(self, order_id: str) -> str:
        side_effect("subclass", order_id)
        return "issued"


@tool("issue_refund", response_format="content_and_artifact")
def refund_with_receipt(order_id: str) -> tuple[str, dict[str, str]]:
    """Refund an order; the receipt is an artifact the model never sees."""
    side_effect("artifact", order_id)
    return "issued", {"receipt": order_id}


def langchain_agent(messages: list[Message]) -> str:
    """Runs the tool as a model's tool call, the way an agent loop does."""
    call = {"name": "issue_refund", "args": {"order_id": order_id(messages)}, "id": "call_1"}
    message = refund_tool.invoke({**call, "type": "tool_call"})
    assert isinstance(message, ToolMessage)
    return str(message.content)


async def langchain_async_agent(messages: list[Message]) -> str:
    return str(await refund_tool.ainvoke({"order_id": order_id(messages)}))


def langgraph_agent() -> Any:
    """A LangGraph agent (LangChain v1 `create_agent`) per session, on the scripted model."""
    model = ChatOpenAI(model="gpt-test", base_url=MODEL_URL, api_key=SecretStr("x"), max_retries=0)
    graph = create_agent(model, tools=[refund_tool], system_prompt="You refund orders.")

    def answer(messages: list[Message]) -> str:
        state = graph.invoke({"messages": messages})
        return str(state["messages"][-1].content)

    return answer


# OpenAI Agents SDK --------------------------------------------------------------------------


@function_tool(name_override="issue_refund")
def refund_function_tool(order_id: str) -> str:
    """Refund an order."""
    side_effect("agents", order_id)
    return json.dumps({"order_id": order_id, "refund": "issued"})


async def agents_sdk_agent(messages: list[Message], traced: bool = False) -> str:
    client = AsyncOpenAI(base_url=MODEL_URL, api_key="x", max_retries=0)
    agent = Agent(
        name="refunds",
        instructions="You refund orders.",
        model=OpenAIChatCompletionsModel(model="gpt-test", openai_client=client),
        tools=[refund_function_tool],
    )
    result = await Runner.run(
        agent, str(messages[-1]["content"]), run_config=RunConfig(tracing_disabled=not traced)
    )
    return str(result.final_output)


async def agents_sdk_traced_agent(messages: list[Message]) -> str:
    """With the SDK's tracing on, for a trace processor to turn into OTel spans."""
    return await agents_sdk_agent(messages, traced=True)


# MCP ----------------------------------------------------------------------------------------

mcp_server = MCPServer("refunds")


@mcp_server.tool()
def mcp_refund(order_id: str) -> str:
    """Refund an order."""
    side_effect("mcp", order_id)
    return json.dumps({"order_id": order_id, "refund": "issued"})


async def mcp_agent(messages: list[Message]) -> str:
    """Calls the server's tool over the SDK's in-process transport, through `Client`."""
    async with Client(mcp_server) as client:
        result = await client.call_tool("mcp_refund", {"order_id": order_id(messages)})
    (content,) = result.content
    assert isinstance(content, TextContent)
    return f"error: {content.text}" if result.is_error else content.text


# Import paths -------------------------------------------------------------------------------


def imported_function_agent(messages: list[Message]) -> str:
    """Calls the function it imported by name before the replay began."""
    return json.dumps(issue_refund(order_id(messages)))


def module_function_agent(messages: list[Message]) -> str:
    return json.dumps(refunds.issue_refund(order_id(messages)))


def method_agent(messages: list[Message]) -> str:
    return json.dumps(refunds.Refunds("shop").issue_refund(order_id(messages)))


def static_method_agent(messages: list[Message]) -> str:
    return json.dumps(refunds.Refunds.refund_now(order_id(messages)))


async def async_function_agent(messages: list[Message]) -> str:
    return json.dumps(await refunds.refund_later(order_id(messages)))
