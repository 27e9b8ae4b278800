"""Receivers on free loopback ports, in this process, over each store dialect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from otel_replay.receiver.serve import Endpoint, Receiver, ServeConfig
from otel_replay.store import SqlSpanStore
from tests.conftest import opened_store


def loopback_config(store_url: str, **options: object) -> ServeConfig:
    """Both transports on free 127.0.0.1 ports (`grpc=None` or `http=None` turns one off)."""
    settings: dict[str, object] = {
        "grpc": Endpoint("127.0.0.1", 0),
        "http": Endpoint("127.0.0.1", 0),
        **options,
    }
    return ServeConfig(store_url=store_url, **settings)  # type: ignore[arg-type]


@pytest.fixture
def receiver(store_url: str) -> Iterator[Receiver]:
    running = Receiver(loopback_config(store_url))
    yield running
    running.stop()


def module_receiver(
    tmp_path_factory: pytest.TempPathFactory, name: str, **options: object
) -> Iterator[Receiver]:
    """A receiver on a new SQLite store in folder `name`, for a module-scoped fixture to
    `yield from`: one receiver serves the module's table of cases."""
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'store.db'}"
    running = Receiver(loopback_config(url, **options))
    yield running
    running.stop()


def second_connection(receiver: Receiver) -> Iterator[SqlSpanStore]:
    """A second connection to the receiver's store, for a fixture to `yield from`: it reads
    only what the receiver committed."""
    yield from opened_store(receiver.store.url)


def grpc_port(receiver: Receiver) -> int:
    assert receiver.grpc_endpoint is not None
    return receiver.grpc_endpoint.port


def http_port(receiver: Receiver) -> int:
    assert receiver.http_endpoint is not None
    return receiver.http_endpoint.port
