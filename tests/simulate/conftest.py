"""The late-order incident recorded into a store, and the scripted user model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from otel_replay.testing import FakeOpenAIServer
from tests.conftest import record_over_otlp
from tests.simulate.user_model import user_model_server


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
