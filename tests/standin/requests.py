"""A recorded call's request, rewritten in the shape of each API the stand-in serves, so one
recorded session can be replayed through the Responses and Anthropic Messages SDKs too."""

from __future__ import annotations

import json
from typing import Any

from otel_replay.scenario.model import RecordedLlmCall, Scenario, ScenarioMessage


def responses_request(scenario: Scenario, call: RecordedLlmCall) -> dict[str, Any]:
    """`client.responses.create` arguments asking what `call` asked."""
    items: list[dict[str, Any]] = []
    instructions = None
    for message in call.input_messages:
        if message.role == "system":
            instructions = message.content
        elif message.role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.tool_call_id,
                    "output": message.content,
                }
            )
        else:
            if message.content is not None:
                items.append({"role": message.role, "content": message.content})
            items += [
                {
                    "type": "function_call",
                    "call_id": c.id,
                    "name": c.name,
                    "arguments": json.dumps(c.arguments),
                }
                for c in message.tool_calls
            ]
    tools = [
        {
            "type": "function",
            "name": t.name,
            "description": t.description,
            "parameters": t.parameters,
            "strict": False,
        }
        for t in scenario.agent.tools
    ]
    return {
        "model": call.request_model,
        "instructions": instructions,
        "input": items,
        "tools": tools,
        "temperature": 0,
    }


def _anthropic_content(message: ScenarioMessage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if message.content is not None:
        blocks.append({"type": "text", "text": message.content})
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
        for c in message.tool_calls
    ]
    return blocks


def anthropic_request(scenario: Scenario, call: RecordedLlmCall) -> dict[str, Any]:
    """`client.messages.create` arguments asking what `call` asked: tool results go back in
    one user message of `tool_result` blocks, as the Messages API takes them."""
    system = None
    messages: list[dict[str, Any]] = []
    for message in call.input_messages:
        if message.role == "system":
            system = message.content
        elif message.role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": message.content,
            }
            if messages and messages[-1]["role"] == "user" and messages[-1]["results"]:
                messages[-1]["content"].append(result)
            else:
                messages.append({"role": "user", "content": [result], "results": True})
        else:
            messages.append(
                {"role": message.role, "content": _anthropic_content(message), "results": False}
            )
    tools = [
        {"name": t.name, "description": t.description, "input_schema": t.parameters}
        for t in scenario.agent.tools
    ]
    return {
        "model": call.request_model,
        "max_tokens": 1024,
        "system": system,
        "messages": [{k: v for k, v in m.items() if k != "results"} for m in messages],
        "tools": tools,
    }
