"""`sealed_frameworks`: which frameworks it patches, and that it puts everything back."""

from __future__ import annotations

import importlib.metadata
import logging
import sys

import pytest
from agents import tool as agents_tool
from agents.run_internal import tool_execution
from langchain_core.tools import BaseTool
from mcp import ClientSession

from otel_replay.replay import adapters
from otel_replay.replay.adapters import Framework, sealed_frameworks


def _points() -> list[object]:
    """Every execution point an adapter replaces, as its owner holds it."""
    return [
        vars(BaseTool)["run"],
        vars(BaseTool)["arun"],
        vars(ClientSession)["call_tool"],
        vars(agents_tool)["_invoke_function_tool_with_metadata"],
        vars(tool_execution)["_invoke_function_tool_with_metadata"],
    ]


def test_each_installed_framework_is_patched_and_put_back_exactly() -> None:
    before = _points()
    with sealed_frameworks():
        during = _points()
    assert all(now is not then for now, then in zip(during, before, strict=True))
    assert all(now is then for now, then in zip(_points(), before, strict=True))


def test_a_framework_that_is_not_installed_is_skipped_and_not_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = Framework("otel-replay-no-such-dist", "otel_replay_no_such_module", "nope")
    # A module of that name that is not the framework's distribution (a project's own
    # `agents` package): not taken for the framework.
    lookalike = Framework("otel-replay-no-such-dist", "json", "langchain_tools")
    monkeypatch.setattr(adapters, "FRAMEWORKS", (missing, lookalike))
    before = _points()
    with sealed_frameworks():
        assert _points() == before
    assert "otel_replay_no_such_module" not in sys.modules


def test_a_framework_whose_execution_point_is_missing_is_skipped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(adapters, "FRAMEWORKS", (Framework("mcp", "mcp", "no_such_adapter"),))
    with caplog.at_level(logging.WARNING), sealed_frameworks():
        pass
    (record,) = caplog.records
    version = importlib.metadata.version("mcp")
    assert record.getMessage().startswith(f"mcp {version} is installed but its tools cannot be")
