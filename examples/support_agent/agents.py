"""The demo support agent, as `--agent` targets: `examples.support_agent.agents:fixed`.

The agent itself ships with the package (`otel_replay.demo.support_agent`) so that
`otel-replay demo` works from any folder; this module is what you point replays at.
"""

from otel_replay.demo.support_agent import buggy_agent as buggy
from otel_replay.demo.support_agent import fixed_agent as fixed

__all__ = ["buggy", "fixed"]
