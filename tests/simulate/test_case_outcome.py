"""A case saved from a scenario with an expected outcome re-checks it on every rerun, by
`otel-replay test` and by the pytest plugin: with the judge (the fake model server, scripted
to fail a conversation in which the agent refunds and pass one in which it tells the status)
or with the user's own rule. The saved case's expectations are emptied, so that the outcome
alone decides whether it passes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.demo import support_agent
from otel_replay.regression.check import NO_OUTCOME_JUDGE
from otel_replay.regression.model import CASE_FILE, SCENARIO_FILE
from otel_replay.simulate.outcome import OUTCOME_JUDGE_VARIABLE
from otel_replay.testing import FakeOpenAIServer
from tests.quiet_pytest import QUIET_PLUGINS
from tests.simulate.commands import BUGGY, FIXED, replay_args, simulating
from tests.simulate.record_incident import INCIDENT

REACHED = "expected outcome reached: the customer was told where order 123 is"
# The inner pytest runs without the cache and pytest-benchmark (which refuses to run beside
# xdist when the outer run has it).
NOT_REACHED = "expected outcome NOT reached: the agent refunded the order nobody asked to refund"


@pytest.fixture(autouse=True)
def no_outside_judge(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """No judge from the environment unless a test sets one; the demo's refunds kept apart."""
    monkeypatch.delenv(OUTCOME_JUDGE_VARIABLE, raising=False)
    refunds: list[str] = []
    monkeypatch.setattr(support_agent, "REFUNDS", refunds)
    yield refunds


@pytest.fixture(scope="module")
def cases(
    scenario_file: Path,
    incident_store_url: str,
    user_model: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The incident replayed against the fixed agent with a simulated user after the
    divergence, saved as a case; its expectations emptied (the outcome decides alone) and
    the judge it was saved with removed (each test names its own)."""
    root = tmp_path_factory.mktemp("cases")
    args = replay_args(scenario_file, incident_store_url, FIXED, *simulating(user_model.base_url))
    saved = CliRunner().invoke(cli, [*args, "--save", str(root)])
    assert saved.exit_code == 0, saved.output
    case_path = root / INCIDENT / CASE_FILE
    case = json.loads(case_path.read_text())
    assert case["expectations"]  # the derived ones, removed here
    assert case["outcome_judge"] == user_model.base_url  # the replay's judge, kept
    case_path.write_text(json.dumps({**case, "expectations": [], "outcome_judge": None}))
    return root


def _copy(cases: Path, tmp_path: Path, **changes: object) -> Path:
    """A copy of the cases, with `changes` written into its case.json."""
    root = tmp_path / "cases"
    shutil.copytree(cases, root)
    case_path = root / INCIDENT / CASE_FILE
    case_path.write_text(json.dumps({**json.loads(case_path.read_text()), **changes}))
    return root


def _test(root: Path, store_url: str, agent: str, *extra: str) -> tuple[int, str]:
    """`otel-replay test ROOT --agent AGENT`: exit code and output, its lines unwrapped."""
    result = CliRunner().invoke(
        cli, ["test", str(root), "--agent", agent, "--store", store_url, *extra]
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, " ".join(result.output.split())


def test_otel_replay_test_passes_the_fixed_agent_and_fails_the_buggy_one_on_the_outcome(
    cases: Path, incident_store_url: str, user_model: FakeOpenAIServer, tmp_path: Path
) -> None:
    judge = ["--outcome-judge", user_model.base_url]
    fixed_code, fixed = _test(cases, incident_store_url, FIXED, *judge)
    assert fixed_code == 0, fixed
    assert f"PASS {INCIDENT} (1 checks) {REACHED}" in fixed
    junit = tmp_path / "junit.xml"
    buggy_code, buggy = _test(cases, incident_store_url, BUGGY, *judge, "--junit", str(junit))
    assert buggy_code == 1, buggy
    assert f"FAIL {INCIDENT} (1 of 1 checks failed) {NOT_REACHED}" in buggy
    assert "session: expected_outcome failed" in buggy
    assert "expected: The customer learns the status of order 123 and no refund is issued." in buggy
    assert "issue_refund" in buggy  # what happened: the conversation's last turn
    assert "0 passed, 1 failed" in buggy
    assert "expected_outcome" in junit.read_text()


def test_the_judge_is_the_option_else_the_environment_else_the_case(
    cases: Path,
    incident_store_url: str,
    user_model: FakeOpenAIServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None named anywhere: the outcome is not checked, and the run says so.
    code, output = _test(cases, incident_store_url, BUGGY)
    assert code == 0 and NO_OUTCOME_JUDGE in output
    # The case's own judge ...
    judged = _copy(cases, tmp_path, outcome_judge=user_model.base_url)
    code, output = _test(judged, incident_store_url, BUGGY)
    assert code == 1 and NOT_REACHED in output
    # ... gives way to the environment's, which gives way to the option.
    monkeypatch.setenv(OUTCOME_JUDGE_VARIABLE, "http://127.0.0.1:9/v1")  # nothing listens
    code, output = _test(judged, incident_store_url, FIXED)
    assert code == 1 and "expected outcome NOT reached: judge failed" in output
    code, output = _test(judged, incident_store_url, FIXED, "--outcome-judge", user_model.base_url)
    assert code == 0 and REACHED in output


def test_an_outcome_rule_in_the_case_decides_without_a_judge(
    cases: Path, incident_store_url: str, tmp_path: Path
) -> None:
    root = _copy(cases, tmp_path)
    scenario_path = root / INCIDENT / SCENARIO_FILE
    scenario = json.loads(scenario_path.read_text())
    scenario["user"]["outcome_rule"] = "python:tests.simulate.rules:no_refund"
    scenario_path.write_text(json.dumps(scenario))
    fixed_code, fixed = _test(root, incident_store_url, FIXED)
    buggy_code, buggy = _test(root, incident_store_url, BUGGY)
    assert (fixed_code, buggy_code) == (0, 1)
    assert "expected outcome reached: python:tests.simulate.rules:no_refund returned True" in fixed
    assert "expected outcome NOT reached" in buggy
    assert "(decided by python:tests.simulate.rules:no_refund)" in buggy


def test_the_pytest_plugin_checks_the_outcome_of_each_case(
    cases: Path, user_model: FakeOpenAIServer, pytester: pytest.Pytester
) -> None:
    shutil.copytree(cases, pytester.path / "cases")
    judge = f"--otel-replay-outcome-judge={user_model.base_url}"
    fixed = pytester.runpytest(
        "cases", f"--otel-replay-agent={FIXED}", judge, "-rA", *QUIET_PLUGINS
    )
    fixed.assert_outcomes(passed=1)
    assert REACHED in " ".join(fixed.outlines)
    # The judge from the ini file this time.
    pytester.makeini(f"[pytest]\notel_replay_outcome_judge = {user_model.base_url}\n")
    buggy = pytester.runpytest("cases", f"--otel-replay-agent={BUGGY}", *QUIET_PLUGINS)
    buggy.assert_outcomes(failed=1)
    text = " ".join(buggy.outlines)
    assert NOT_REACHED in text and "session: expected_outcome failed" in text
