"""The pytest plugin loads in every project that installs otel-replay: it collects only the case
folders `replay --save` wrote (their case.json names its kind) and leaves every other file alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.pytest_plugin import CASE_FILE_NAME
from otel_replay.regression.files import load_case
from otel_replay.regression.model import CASE_FILE, CASE_KIND, CASE_VERSION
from tests.quiet_pytest import QUIET_PLUGINS
from tests.regression.conftest import FIXED, INCIDENT

ROOT = Path(__file__).resolve().parents[2]
PASSING_TEST = "def test_ok():\n    assert True\n"


def test_an_unrelated_case_json_is_ignored_and_the_run_passes(pytester: pytest.Pytester) -> None:
    data = pytester.mkdir("data")
    (data / "case.json").write_text(json.dumps({"name": "a fixture of another project"}))
    (pytester.mkdir("more") / "case.json").write_text("not json at all {")
    (pytester.mkdir("list") / "case.json").write_text("[1, 2, 3]")
    pytester.makepyfile(test_project=PASSING_TEST)
    result = pytester.runpytest(*QUIET_PLUGINS)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK


def test_a_case_json_without_the_kind_marker_is_not_collected(
    cases: Path, pytester: pytest.Pytester
) -> None:
    folder = pytester.path / "cases" / INCIDENT
    shutil.copytree(cases / INCIDENT, folder)
    case = json.loads((folder / CASE_FILE).read_text())
    del case["kind"]
    (folder / CASE_FILE).write_text(json.dumps(case))
    result = pytester.runpytest("cases", f"--otel-replay-agent={FIXED}", *QUIET_PLUGINS)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    # The CLI names its folder explicitly, so a case saved before the marker still loads there.
    assert load_case(folder).case.kind == CASE_KIND


def test_a_saved_case_is_collected(cases: Path, pytester: pytest.Pytester) -> None:
    saved = json.loads((cases / INCIDENT / CASE_FILE).read_text())
    assert (saved["kind"], saved["version"]) == (CASE_KIND, CASE_VERSION)
    shutil.copytree(cases, pytester.path / "cases")
    result = pytester.runpytest("--collect-only", "-q", *QUIET_PLUGINS)
    result.stdout.fnmatch_lines([f"*cases/{INCIDENT}/case.json::{INCIDENT}*"])


def test_a_marked_case_with_a_missing_file_is_a_collection_error_naming_it(
    pytester: pytest.Pytester,
) -> None:
    folder = pytester.mkdir("broken")
    case = {"kind": CASE_KIND, "version": CASE_VERSION, "name": "broken", "baseline_run_id": "r1"}
    (folder / CASE_FILE).write_text(json.dumps(case))
    result = pytester.runpytest(*QUIET_PLUGINS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken: regression case is missing baseline.json*"])


def test_a_case_of_a_newer_format_version_is_collected_and_fails_with_the_version(
    pytester: pytest.Pytester,
) -> None:
    folder = pytester.mkdir("future")
    marker = {"kind": CASE_KIND, "version": CASE_VERSION + 1, "name": "future"}
    (folder / CASE_FILE).write_text(json.dumps(marker))
    result = pytester.runpytest(*QUIET_PLUGINS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*version*"])


def test_cli_test_still_runs_a_case_saved_without_the_marker(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    shutil.copytree(cases, tmp_path / "cases")
    case_path = tmp_path / "cases" / INCIDENT / CASE_FILE
    case = json.loads(case_path.read_text())
    del case["kind"]
    case_path.write_text(json.dumps(case))
    result = CliRunner().invoke(
        cli, ["test", str(tmp_path / "cases"), "--store", support_store_url]
    )
    assert result.exit_code == 0, result.output
    assert "1 passed, 0 failed" in result.output


def test_the_plugin_spells_the_case_file_name_like_the_model() -> None:
    assert CASE_FILE_NAME == CASE_FILE


def test_importing_the_plugin_imports_nothing_of_otel_replay_but_the_package() -> None:
    probe = (
        "import json, sys\nimport otel_replay.pytest_plugin\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('otel_replay'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == ["otel_replay", "otel_replay.pytest_plugin"]


def test_the_projects_other_tests_see_their_own_model_settings_between_cases(
    cases: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://the-projects-own-server/v1")
    shutil.copytree(cases, pytester.path / "cases")
    pytester.makepyfile(
        test_after=(
            "import os\n\ndef test_settings():\n"
            "    assert os.environ['OPENAI_BASE_URL'] == 'http://the-projects-own-server/v1'\n"
        )
    )
    result = pytester.runpytest(
        "cases", "test_after.py", f"--otel-replay-agent={FIXED}", *QUIET_PLUGINS
    )
    result.assert_outcomes(passed=2)
