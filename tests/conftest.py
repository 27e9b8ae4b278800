"""Shared fixtures: every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from otel_replay.store import SqlSpanStore, open_store

# One Hypothesis profile for every test: example generation and runs are never timed (a busy
# CI machine must not fail a property), timings belong in bench/.
settings.register_profile(
    "otel-replay", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("otel-replay")

POSTGRES_URL = os.environ.get("OTEL_REPLAY_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("OTEL_REPLAY_REQUIRE_POSTGRES") == "1"
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # provenance: fixtures/PROVENANCE.md
SEMCONV_FIXTURES = FIXTURES / "semconv"
PUBLIC_FIXTURES = FIXTURES / "public"


def _fresh_postgres_database() -> str:
    import psycopg

    name = f"otel_replay_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


def _drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped after the test (for a fixture to `yield from`);
    the test is skipped where there is no server, or fails where CI requires one."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("OTEL_REPLAY_REQUIRE_POSTGRES=1 but OTEL_REPLAY_TEST_POSTGRES_URL is unset")
        pytest.skip("PostgreSQL not available: set OTEL_REPLAY_TEST_POSTGRES_URL (.ci/run does)")
    url = _fresh_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a new, empty store, once per dialect."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    yield from _postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (for tests that only make sense there)."""
    yield from _postgres_database()


def opened_store(url: str) -> Iterator[SqlSpanStore]:
    """The store at `url`, open for the test and closed after it (for a fixture to
    `yield from`)."""
    opened = open_store(url)
    yield opened
    opened.close()


@pytest.fixture
def store(store_url: str) -> Iterator[SqlSpanStore]:
    yield from opened_store(store_url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(scope="session")
def support_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding the buggy support agent's sessions, exported over OTLP/gRPC by another
    process (`python -m otel_replay.demo.record`) to a real receiver."""
    url = f"sqlite:///{tmp_path_factory.mktemp('recorded') / 'store.db'}"
    record_over_otlp(url, "otel_replay.demo.record")
    return url


def record_over_otlp(url: str, module: str) -> None:
    """Run `python -m MODULE --endpoint HOST:PORT` (an agent exporting its spans over
    OTLP/gRPC from its own process) against a real receiver that stores into `url`."""
    import subprocess
    import sys

    from otel_replay.receiver.serve import Endpoint, Receiver, ServeConfig

    receiver = Receiver(ServeConfig(grpc=Endpoint("127.0.0.1", 0), http=None, store_url=url))
    try:
        assert receiver.grpc_endpoint is not None
        subprocess.run(
            [sys.executable, "-m", module, "--endpoint", str(receiver.grpc_endpoint)],
            check=True,
            timeout=60,
            capture_output=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
    finally:
        receiver.stop()
