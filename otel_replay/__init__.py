"""otel-replay: replay production AI-agent sessions recorded as OpenTelemetry traces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otel_replay.replay.remote_client import remote_tools
    from otel_replay.replay.tools import tool

__version__ = "0.1.0"

__all__ = ["__version__", "remote_tools", "tool"]


def __getattr__(name: str) -> Any:
    # `tool` imports the replay runner; load it on first use so `otel-replay --version` and the
    # pytest plugin (loaded in every pytest run) stay cheap.
    if name == "tool":
        from otel_replay.replay.tools import tool

        return tool
    if name == "remote_tools":  # inside an agent service replayed over HTTP
        from otel_replay.replay.remote_client import remote_tools

        return remote_tools
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
