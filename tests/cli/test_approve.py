"""`otel-replay approve RUN_ID [CASE_DIR]`: one reviewed run becomes its case's baseline, with
the expectations derived from it; the case is found by the run's scenario when not named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.regression.files import load_case

INCIDENT = "support-session-003"
FIXED = "otel_replay.demo.support_agent:fixed_agent"
BUGGY = "otel_replay.demo.support_agent:buggy_agent"
LIVE = ["--live-tools", "check_status"]


def _replay(store_url: str, agent: str, *extra: str) -> str:
    result = CliRunner().invoke(
        cli, ["replay", INCIDENT, "--agent", agent, *LIVE, "--store", store_url, *extra]
    )
    assert result.exit_code in (0, 1), result.output
    return result.output


def _buggy_run_id(store_url: str) -> str:
    result = CliRunner().invoke(
        cli, ["replay", INCIDENT, "--agent", BUGGY, *LIVE, "--store", store_url, "--json"]
    )
    return str(json.loads(result.stdout)["run_id"])


@pytest.fixture
def case_root(support_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "otel-replay-cases"
    _replay(support_store_url, FIXED, "--save", str(root))
    return root


def test_approve_makes_the_run_the_baseline_of_the_named_case(
    case_root: Path, support_store_url: str
) -> None:
    run_id = _buggy_run_id(support_store_url)

    result = CliRunner().invoke(
        cli, ["approve", run_id, str(case_root / INCIDENT), "--store", support_store_url]
    )

    assert result.exit_code == 0, result.output
    assert "turn 4: [check_status] -> [issue_refund]" in result.output
    loaded = load_case(case_root / INCIDENT)
    assert loaded.baseline.run_id == loaded.case.baseline_run_id == run_id
    tools = [e.args for e in loaded.case.expectations if e.evaluator == "tool_calls_equal"]
    assert {"expected": ["issue_refund"]} in tools
    passed = CliRunner().invoke(
        cli, ["test", str(case_root), "--agent", BUGGY, "--store", support_store_url]
    )
    assert passed.exit_code == 0, passed.output


def test_approve_finds_the_case_of_the_runs_scenario_under_the_default_folder(
    case_root: Path, support_store_url: str
) -> None:
    run_id = _buggy_run_id(support_store_url)
    result = CliRunner().invoke(cli, ["approve", run_id, "--store", support_store_url])
    assert result.exit_code == 0, result.output
    assert load_case(case_root / INCIDENT).baseline.run_id == run_id


def test_approve_of_an_unknown_run_or_another_scenarios_case_is_bad_input(
    case_root: Path, support_store_url: str, tmp_path: Path
) -> None:
    unknown = CliRunner().invoke(cli, ["approve", "no-such-run", "--store", support_store_url])
    assert unknown.exit_code == 2
    assert "no-such-run" in unknown.output
    other = tmp_path / "other" / INCIDENT
    other.parent.mkdir()
    (case_root / INCIDENT).rename(other)
    (other / "scenario.json").write_text(
        (other / "scenario.json").read_text().replace(f'"name": "{INCIDENT}"', '"name": "x"', 1)
    )
    run_id = _buggy_run_id(support_store_url)
    wrong = CliRunner().invoke(cli, ["approve", run_id, str(other), "--store", support_store_url])
    assert wrong.exit_code == 2, wrong.output
    assert "replayed scenario" in wrong.output
    missing = CliRunner().invoke(cli, ["approve", run_id, "--store", support_store_url])
    assert missing.exit_code == 2
    assert "name the case folder" in missing.output
