"""The late-order incident recorded into a store, its scenario with a user section, and the
scripted user model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_replay.app.conversations import session_scenario
from otel_replay.scenario.files import write_scenario
from otel_replay.scenario.model import ScenarioUser
from otel_replay.store import open_store
from otel_replay.testing import FakeOpenAIServer
from tests.conftest import record_over_otlp
from tests.simulate.record_incident import CUSTOMER_TURNS, INCIDENT
from tests.simulate.user_model import DESCRIBED, user_model_server


@pytest.fixture(scope="module")
def incident_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding the late-order incident, exported by another process over OTLP/gRPC."""
    url = f"sqlite:///{tmp_path_factory.mktemp('incident') / 'store.db'}"
    record_over_otlp(url, "tests.simulate.record_incident")
    return url


@pytest.fixture(scope="module")
def user_model() -> Iterator[FakeOpenAIServer]:
    with user_model_server() as server:
        yield server


@pytest.fixture(scope="module")
def scenario_file(incident_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The incident's scenario, its user written by hand (as people may)."""
    store = open_store(incident_store_url)
    try:
        scenario = session_scenario(store, INCIDENT)
    finally:
        store.close()
    user = ScenarioUser(
        goal=DESCRIBED["goal"],
        persona=DESCRIBED["persona"],
        situation=DESCRIBED["situation"],
        expected_outcome=DESCRIBED["expected_outcome"],
        examples=CUSTOMER_TURNS,
    )
    path = tmp_path_factory.mktemp("scenario") / "incident.scenario.json"
    write_scenario(scenario.model_copy(update={"user": user}), path)
    return path
