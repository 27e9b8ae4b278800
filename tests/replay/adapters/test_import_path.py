"""`--seal MODULE:FUNCTION` and `MODULE:CLASS.METHOD`: undecorated functions sealed for the
duration of a replay, wherever a module imported them, and put back exactly afterwards."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_replay.replay.adapters import SealTargetError, sealed_frameworks
from otel_replay.replay.adapters.import_path import SealTarget, parse_seal_target
from otel_replay.store import SqlSpanStore
from tests.replay.adapters import framework_agents, refunds
from tests.replay.adapters.support import (
    REFUNDED,
    refund_scenario,
    replay_sealed,
    sealed_answer,
    tool_sources,
)

REFUNDS = "tests.replay.adapters.refunds"


@pytest.mark.parametrize(
    ("agent", "target"),
    [
        ("imported_function_agent", f"{REFUNDS}:issue_refund"),
        ("module_function_agent", f"{REFUNDS}:issue_refund"),
        ("method_agent", f"{REFUNDS}:Refunds.issue_refund"),
        ("static_method_agent", f"{REFUNDS}:Refunds.refund_now=issue_refund"),
        ("async_function_agent", f"{REFUNDS}:refund_later=issue_refund"),
    ],
)
def test_a_sealed_import_path_answers_from_the_recording_and_never_runs(
    agent: str, target: str, side_effects: Path, store: SqlSpanStore
) -> None:
    run = replay_sealed(agent, refund_scenario(), store, seal=[target])
    answer = sealed_answer(run, side_effects)
    assert json.loads(answer) == REFUNDED
    assert tool_sources(run) == [("issue_refund", "recorded")]
    (turn,) = run.turns
    assert turn.replayed is not None
    (tool_call,) = turn.replayed.tool_calls
    assert tool_call.arguments == {"order_id": "123"}  # a method's self is no argument


def test_without_the_seal_the_undecorated_function_runs_and_trips_nothing(
    side_effects: Path, store: SqlSpanStore
) -> None:
    """What --seal is for: the function ran for real, and nothing in the trace said so."""
    run = replay_sealed("imported_function_agent", refund_scenario(), store)
    assert [p.name for p in side_effects.iterdir()] == ["function-123"]
    assert tool_sources(run) == []


def test_a_sealed_function_called_otherwise_than_recorded_is_refused(
    side_effects: Path, store: SqlSpanStore
) -> None:
    scenario = refund_scenario(recorded_order="999")
    run = replay_sealed(
        "imported_function_agent", scenario, store, seal=[f"{REFUNDS}:issue_refund"]
    )
    assert list(side_effects.iterdir()) == []
    (turn,) = run.turns
    assert turn.error is not None and "matches no recorded call" in turn.error


def test_every_seal_is_put_back_as_it_was(
    side_effects: Path, finished_spans: InMemorySpanExporter
) -> None:
    function, imported = refunds.issue_refund, framework_agents.issue_refund
    static, method = vars(refunds.Refunds)["refund_now"], refunds.Refunds.issue_refund
    seal = [
        f"{REFUNDS}:issue_refund",
        f"{REFUNDS}:Refunds.refund_now",
        f"{REFUNDS}:Refunds.issue_refund",
    ]
    with sealed_frameworks(seal):
        assert framework_agents.issue_refund is refunds.issue_refund is not function
        # Outside a replay the sealed function runs as it is, with no span of its own.
        assert refunds.issue_refund("1") == {"order_id": "1", "refund": "issued"}
        assert refunds.Refunds("shop").issue_refund("2")["order_id"] == "2"
        assert refunds.Refunds.refund_now("3")["order_id"] == "3"
    assert finished_spans.get_finished_spans() == ()
    assert (refunds.issue_refund, framework_agents.issue_refund) == (function, imported)
    assert vars(refunds.Refunds)["refund_now"] is static
    assert refunds.Refunds.issue_refund is method
    assert sorted(p.name for p in side_effects.iterdir()) == [
        "function-1",
        "method-shop-2",
        "static-3",
    ]


def test_a_module_imported_during_the_replay_gets_the_function_back_afterwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The application loads the agent inside the sealed block, after the seals went in."""
    late = "tests.replay.adapters.late_importer"
    monkeypatch.delitem(sys.modules, late, raising=False)
    function = refunds.issue_refund
    with sealed_frameworks([f"{REFUNDS}:issue_refund"]):
        module = importlib.import_module(late)
        assert module.issue_refund is refunds.issue_refund is not function
    assert module.issue_refund is function


def test_a_seal_lasts_until_the_last_replay_using_it_ends() -> None:
    """Concurrent replays each seal around themselves; none unseals under another."""
    function = refunds.issue_refund
    outer = sealed_frameworks([f"{REFUNDS}:issue_refund"])
    inner = sealed_frameworks([f"{REFUNDS}:issue_refund"])
    outer.__enter__()
    inner.__enter__()
    sealed = refunds.issue_refund
    outer.__exit__(None, None, None)  # the first replay ends first
    assert refunds.issue_refund is sealed is not function
    inner.__exit__(None, None, None)
    assert refunds.issue_refund is function


def test_one_function_cannot_be_two_tools_at_once() -> None:
    with sealed_frameworks([f"{REFUNDS}:issue_refund"]):
        refused = pytest.raises(SealTargetError, match="as tool issue_refund, not refund")
        with refused, sealed_frameworks([f"{REFUNDS}:issue_refund=refund"]):
            pass
        assert hasattr(refunds.issue_refund, "__otel_replay_sealed__")
    assert not hasattr(refunds.issue_refund, "__otel_replay_sealed__")


def test_an_async_function_is_sealed_as_a_coroutine_function() -> None:
    with sealed_frameworks([f"{REFUNDS}:refund_later"]):
        assert asyncio.iscoroutinefunction(refunds.refund_later)


def test_seal_targets_parse_with_an_optional_tool_name() -> None:
    assert parse_seal_target("shop.refunds:issue_refund") == SealTarget(
        "shop.refunds", ("issue_refund",)
    )
    assert parse_seal_target("shop:Refunds.issue=refund") == SealTarget(
        "shop", ("Refunds", "issue"), "refund"
    )
    assert str(parse_seal_target("shop:Refunds.issue=refund")) == "shop:Refunds.issue=refund"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("issue_refund", "expected MODULE:FUNCTION"),
        ("shop.refunds:", "expected MODULE:FUNCTION"),
        ("shop refunds:issue", "expected MODULE:FUNCTION"),
        ("shop:issue=", "expected MODULE:FUNCTION"),
        ("otel_replay_no_such_module:issue_refund", "cannot import otel_replay_no_such_module"),
        (f"{REFUNDS}:no_such_function", "expected a Python function or method, found nothing"),
        (f"{REFUNDS}:SIDE_EFFECTS", "found PosixPath"),
        (f"{REFUNDS}:Nothing.issue_refund", "has no Nothing"),
        (f"{REFUNDS}:issue_refund.x", "neither a module nor a class"),
    ],
)
def test_a_bad_seal_target_is_refused_and_nothing_stays_replaced(text: str, says: str) -> None:
    function = refunds.issue_refund
    refused = pytest.raises(SealTargetError, match=says)
    with refused, sealed_frameworks([f"{REFUNDS}:issue_refund", text]):
        pass
    assert refunds.issue_refund is function
