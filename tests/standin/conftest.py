"""A recorded three-turn session for the stand-in to serve: the openai example agent, traced
by a real instrumentation against the scripted model server (tests/integration records it),
made into a scenario. The model server is gone by the time a test runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from otel_replay.app.conversations import session_scenario
from otel_replay.scenario.model import Scenario
from otel_replay.store import open_store
from tests.integration import conftest as integration
from tests.integration.conftest import Recording

# The recording fixture of tests/integration, made available here under the same name.
record = integration.record


@dataclass(frozen=True)
class RecordedCall:
    """One model call of the recording: what the agent sent, and what the model answered."""

    turn: int
    body: dict[str, Any]
    completion: dict[str, Any]


@dataclass(frozen=True)
class RecordedSession:
    name: str
    scenario: Scenario
    calls: list[RecordedCall]

    def turn_calls(self, turn: int) -> list[RecordedCall]:
        return [c for c in self.calls if c.turn == turn]


def _session(recording: Recording) -> RecordedSession:
    store = open_store(recording.store_url)
    try:
        scenario = session_scenario(store, recording.session_id)
    finally:
        store.close()
    turns = [index for index, turn in enumerate(scenario.turns) for _ in turn.llm_calls]
    assert len(turns) == len(recording.exchanges)
    calls = []
    for turn, exchange in zip(turns, recording.exchanges, strict=True):
        assert exchange.completion is not None
        calls.append(RecordedCall(turn, dict(exchange.body), exchange.completion))
    return RecordedSession(recording.name, scenario, calls)


# A non-streamed recording under OpenInference and a streamed one under openai-v2.
@pytest.fixture(scope="session", params=["openinference", "openai-v2-spans-stream"])
def recorded_session(
    request: pytest.FixtureRequest, record: Callable[[str], Recording]
) -> RecordedSession:
    """The recorded session and the exchanges the scripted model had."""
    return _session(record(request.param))


@pytest.fixture(scope="session")
def openinference_session(record: Callable[[str], Recording]) -> RecordedSession:
    return _session(record("openinference"))
