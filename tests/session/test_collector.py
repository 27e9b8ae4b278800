"""The cyclic collector is paused while a session is rebuilt, and left as it was found."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from otel_replay.session.collector import collector_paused
from otel_replay.session.turns import build_conversation
from tests.builders import make_span


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_in_the_block_and_on_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_resumes_when_the_last_of_two_overlapping_rebuilds_ends() -> None:
    first_in = threading.Event()
    first_may_end = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            first_may_end.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with collector_paused():
        pass
    seen.append(gc.isenabled())  # the first rebuild still runs
    first_may_end.set()
    thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_rebuild_that_fails_still_resumes_the_collector() -> None:
    class Broken(Exception):
        pass

    @collector_paused()
    def rebuild() -> None:
        raise Broken

    with pytest.raises(Broken):
        rebuild()
    assert gc.isenabled()


def test_build_conversation_leaves_the_collector_on() -> None:
    conversation = build_conversation("s", [make_span(1, 1, name="chat gpt-4o")], [])
    assert len(conversation.turns) == 1
    assert gc.isenabled()
