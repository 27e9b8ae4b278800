"""Save a replay as a regression case, rerun it with `otel-replay test` and the pytest plugin."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.regression.files import load_case
from tests.quiet_pytest import QUIET_PLUGINS
from tests.regression.conftest import BUGGY, FIXED, INCIDENT, update_baseline


def test_saved_case_holds_scenario_baseline_and_default_expectations(cases: Path) -> None:
    loaded = load_case(cases / INCIDENT)
    assert loaded.case.agent == FIXED
    assert loaded.case.options.live_tools == ["check_status"]
    assert loaded.scenario.source.session_id == INCIDENT
    turn_4 = loaded.baseline.turns[3]
    assert turn_4.replayed is not None
    assert [c.name for c in turn_4.replayed.tool_calls] == [
        "check_status"
    ]  # the fix, not the recording
    assert turn_4.replayed.assistant == "Order 123 is in transit, arriving Friday."
    tool_expectation = next(
        e for e in loaded.case.expectations if e.turn == 3 and e.evaluator == "tool_calls_equal"
    )
    assert tool_expectation.args == {"expected": ["check_status"]}
    assert {e.evaluator for e in loaded.case.expectations} == {
        "tool_calls_equal",
        "reply_similarity",
    }


def test_cli_test_passes_the_fixed_agent_and_fails_the_buggy_one(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    passed = runner.invoke(cli, ["test", str(cases), "--store", support_store_url])
    assert passed.exit_code == 0, passed.output
    assert "1 passed, 0 failed" in passed.output
    junit = tmp_path / "junit.xml"
    failed = runner.invoke(
        cli,
        ["test", str(cases), "--agent", BUGGY, "--store", support_store_url, "--junit", str(junit)],
    )
    assert failed.exit_code == 1, failed.output
    assert "turn 4: tool_calls_equal failed" in failed.output
    assert "expected: [check_status]" in failed.output
    assert "happened: [issue_refund]" in failed.output
    assert "turn 4: check_status(order_id=123) -> issue_refund(order_id=123)" in failed.output
    assert "0 passed, 1 failed" in failed.output
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    (case,) = suite.iter("testcase")
    assert case.get("name") == INCIDENT
    failure = case.find("failure")
    assert failure is not None and "issue_refund" in (failure.text or "")


def test_update_baseline_promotes_the_new_run(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(cases, copy)
    before = load_case(copy / INCIDENT).case.baseline_run_id
    result = update_baseline(copy, support_store_url)
    assert result.exit_code == 0, result.output
    after = load_case(copy / INCIDENT)
    assert after.case.baseline_run_id != before
    assert [c.name for c in after.baseline.turns[3].replayed.tool_calls] == ["issue_refund"]  # type: ignore[union-attr]


def test_cli_test_with_no_cases_is_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["test", str(tmp_path)])
    assert result.exit_code == 2
    assert "no regression cases" in result.output


def test_pytest_plugin_collects_cases_and_shows_the_turn_diff(
    cases: Path, support_store_url: str, pytester: pytest.Pytester
) -> None:
    import shutil

    shutil.copytree(cases, pytester.path / "cases")
    ok = pytester.runpytest("cases", f"--otel-replay-agent={FIXED}", *QUIET_PLUGINS)
    ok.assert_outcomes(passed=1)
    pytester.makeini(f"[pytest]\notel_replay_agent = {BUGGY}\n")
    bad = pytester.runpytest("cases", *QUIET_PLUGINS)
    bad.assert_outcomes(failed=1)
    bad.stdout.fnmatch_lines(
        [
            f"*{INCIDENT}*",
            "*turn 4: tool_calls_equal failed*",
            "*turn 4: check_status(order_id=123) -> issue_refund(order_id=123)*",
        ]
    )


def test_cli_test_writes_a_report_of_the_runs(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.md"
    result = CliRunner().invoke(
        cli,
        [
            "test",
            str(cases),
            "--agent",
            BUGGY,
            "--store",
            support_store_url,
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 1, result.output
    text = report.read_text()
    assert "check_status(order_id=123) -> issue_refund(order_id=123)" in text


def test_recording_a_cassette_in_live_mode_is_bad_usage(cases: Path) -> None:
    result = CliRunner().invoke(cli, ["test", str(cases), "--llm", "live", "--record-mode", "all"])
    assert result.exit_code == 2
    assert "--record-mode all" in result.output and "--llm hybrid" in result.output
