"""otel-replay: replay production AI-agent sessions recorded as OpenTelemetry traces."""

__version__ = "0.1.0"
