"""Shared fixtures of the hosted-agent tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.voice.fake_platforms import KEY, ORDERS, FakePlatform, fake_platform


@pytest.fixture
def order_platforms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatform]:
    """The fake Vapi and Retell APIs (the order-lookup script), their keys and base URLs in
    the environment."""
    with fake_platform(ORDERS) as fake:
        for name in ("VAPI", "RETELL"):
            monkeypatch.setenv(f"{name}_API_KEY", KEY)
            monkeypatch.setenv(f"OTEL_REPLAY_{name}_BASE_URL", fake.url)
        yield fake
