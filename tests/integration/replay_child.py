"""Child process of the replay tests: the application sets up its tracer provider and an
OpenAI instrumentation, then replays a stored session against the openai example agent.

Prints the run as JSON, with every read or write the tools made of the warehouse (none is
expected: a replay serves the recorded results).

    python -m tests.integration.replay_child STORE_URL SESSION_ID INSTRUMENTATION
"""

from __future__ import annotations

import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from examples.openai_agent import agent
from otel_replay.app.conversations import session_scenario
from otel_replay.replay.agents import load_agent
from otel_replay.replay.runner import replay_scenario
from otel_replay.store import open_store


class _Tripwire(dict[str, str]):
    """Stands in for the warehouse: logs every read and write a tool body makes."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self._log = log

    def get(self, key: str, default: object = None) -> str:
        self._log.append(f"read {key}")
        return "touched"

    def append(self, value: str) -> None:
        self._log.append(f"refund {value}")


def main() -> None:
    store_url, session_id, instrumentation = sys.argv[1:4]
    # The application's own provider: the replay adds its capture processor to it.
    trace.set_tracer_provider(
        TracerProvider(resource=Resource.create({"service.name": "openai-support-agent"}))
    )
    uninstrument = agent.instrument(instrumentation)
    touched: list[str] = []
    agent.ORDERS = _Tripwire(touched)
    agent.REFUNDS = _Tripwire(touched)  # type: ignore[assignment]
    store = open_store(store_url)
    try:
        run = replay_scenario(
            session_scenario(store, session_id),
            load_agent("examples.openai_agent.agent:answer"),
            store,
            agent_label=f"openai agent ({instrumentation})",
        )
    finally:
        store.close()
        uninstrument()
    print(json.dumps({"run": run.model_dump(mode="json"), "warehouse": touched}))


if __name__ == "__main__":
    main()
