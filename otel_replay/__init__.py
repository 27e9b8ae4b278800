"""otel-replay: replay production AI-agent sessions recorded as OpenTelemetry traces."""

from otel_replay.replay.tools import tool

__version__ = "0.1.0"

__all__ = ["__version__", "tool"]
