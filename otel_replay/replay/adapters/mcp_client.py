"""Sealing MCP tool calls at the client: every `tools/call` goes out through
`mcp.ClientSession.call_tool` (the high-level `mcp.Client` and session groups call it too).

A sealed call sends nothing to the server. It is answered with a `CallToolResult` holding the
recorded result as text (and, for an object, as structured content too); a recorded failure
comes back as a result with `is_error` set, the way a server reports a failing tool.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from otel_replay.replay.adapters.patching import Patches
from otel_replay.replay.sealing import resolve_playback
from otel_replay.replay.tools import RecordedToolError, SealedCall, result_text

# An optional framework, imported only when installed (see the package docstring).
ClientSession: Any = importlib.import_module("mcp").ClientSession
mcp_types = importlib.import_module("mcp.types")


def recorded_call_result(call: SealedCall) -> Any:
    """The recorded outcome of a sealed call as the server would have answered it."""
    try:
        result = call.answer()
    except RecordedToolError as error:
        return mcp_types.CallToolResult(
            content=[mcp_types.TextContent(type="text", text=str(error))], is_error=True
        )
    structured = result if isinstance(result, dict) else None
    return mcp_types.CallToolResult(
        content=[mcp_types.TextContent(type="text", text=result_text(result))],
        structured_content=structured,
    )


def install() -> Patches:
    """Route `ClientSession.call_tool` through the sealed-call path."""
    call_tool = ClientSession.call_tool

    @functools.wraps(call_tool)
    async def sealed_call_tool(
        self: Any,
        name: str,
        arguments: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if resolve_playback(name).playback is None:
            return await call_tool(self, name, arguments, *args, **kwargs)
        call = SealedCall(name, dict(arguments or {}))
        if not call.sealed:
            return await call.arun(lambda: call_tool(self, name, arguments, *args, **kwargs))
        return recorded_call_result(call)

    patches = Patches()
    patches.replace(ClientSession, "call_tool", sealed_call_tool)
    return patches
