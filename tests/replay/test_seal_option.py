"""`replay --seal MODULE:FUNCTION` seals a plain function for the replay: the recorded result
comes back and its side effect never happens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli
from tests.replay.seal_targets import SIDE_EFFECT_ENV

INCIDENT = "support-session-003"
TARGETS = "tests.replay.seal_targets"
_AGENT = ["replay", INCIDENT, "--agent", f"{TARGETS}:agent"]


def test_a_sealed_import_path_answers_from_the_recording(
    support_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    side_effect = tmp_path / "side-effect.txt"
    monkeypatch.setenv(SIDE_EFFECT_ENV, str(side_effect))
    args = _AGENT

    result = CliRunner().invoke(
        cli,
        [*args, "--seal", f"{TARGETS}:check_status", "--store", support_store_url, "--json"],
    )

    run = json.loads(result.stdout)
    turn_3 = run["turns"][2]
    assert not side_effect.exists()
    assert [(c["name"], c["source"]) for c in turn_3["replayed"]["tool_calls"]] == [
        ("check_status", "recorded")
    ]
    assert turn_3["replayed"]["assistant"] == "Order 123: in transit, arriving Friday."


def test_without_seal_the_plain_function_runs(
    support_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    side_effect = tmp_path / "side-effect.txt"
    monkeypatch.setenv(SIDE_EFFECT_ENV, str(side_effect))

    CliRunner().invoke(
        cli,
        ["replay", INCIDENT, "--agent", f"{TARGETS}:agent", "--store", support_store_url, "--json"],
    )

    assert side_effect.read_text() == "looked up 123"


def test_a_bad_seal_target_is_bad_input(support_store_url: str) -> None:
    result = CliRunner().invoke(
        cli,
        [*_AGENT, "--seal", f"{TARGETS}:nope", "--store", support_store_url],
    )

    assert result.exit_code == 2
    assert "nope" in result.output
