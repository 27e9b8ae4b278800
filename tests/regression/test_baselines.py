"""Baselines stay coherent: a saved case is never overwritten by accident, and approving a run
rewrites the baseline, the expectations derived from it and the cassette together."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.regression.files import load_case
from otel_replay.regression.model import CASE_FILE
from tests.regression.conftest import BUGGY, INCIDENT, save_case, update_baseline


def test_saving_into_an_existing_case_is_refused_naming_the_folder(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "cases"
    shutil.copytree(cases, root)
    before = (root / INCIDENT / "baseline.json").read_bytes()

    code, output = save_case(support_store_url, root)

    assert code == 2, output
    assert str(root / INCIDENT) in output and "--force" in output
    assert (root / INCIDENT / "baseline.json").read_bytes() == before


def test_saving_with_force_replaces_the_case(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "cases"
    shutil.copytree(cases, root)
    before = load_case(root / INCIDENT).baseline.run_id

    code, output = save_case(support_store_url, root, "--force")

    assert code == 0, output
    assert load_case(root / INCIDENT).baseline.run_id != before


def test_case_files_say_turns_count_from_zero(cases: Path) -> None:
    case = json.loads((cases / INCIDENT / CASE_FILE).read_text())
    assert case["turn_numbering"] == "0-based"
    loaded = load_case(cases / INCIDENT)
    assert {e["turn"] for e in case["expectations"]} == {t.index for t in loaded.scenario.turns}
    assert min(e["turn"] for e in case["expectations"]) == 0


def test_update_baseline_rewrites_the_expectations_so_the_case_passes_after(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(cases, copy)
    runner = CliRunner()

    updated = update_baseline(copy, support_store_url)

    assert updated.exit_code == 0, updated.output
    assert "turn 4: [check_status] -> [issue_refund]" in updated.output
    loaded = load_case(copy / INCIDENT)
    tools = next(
        e for e in loaded.case.expectations if e.turn == 3 and e.evaluator == "tool_calls_equal"
    )
    assert tools.args == {"expected": ["issue_refund"]}
    again = runner.invoke(cli, ["test", str(copy), "--agent", BUGGY, "--store", support_store_url])
    assert again.exit_code == 0, again.output
    assert "1 passed, 0 failed" in again.output


def test_update_baseline_keeps_the_users_own_expectations(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(cases, copy)
    case_path = copy / INCIDENT / CASE_FILE
    case = json.loads(case_path.read_text())
    mine = {"evaluator": "tool_not_called", "turn": None, "args": {"tool": "delete_account"}}
    edited = next(
        e for e in case["expectations"] if e["turn"] == 0 and e["evaluator"] == "reply_similarity"
    )
    edited["args"]["threshold"] = 0.5  # edited by the user: no longer the derived one
    case["expectations"].append(mine)
    case_path.write_text(json.dumps(case))

    result = update_baseline(copy, support_store_url)

    assert result.exit_code == 0, result.output
    assert "kept 2 user expectation(s)" in result.output
    after = json.loads(case_path.read_text())["expectations"]
    assert mine in after and edited in after
    derived_turn_0 = [e for e in after if e["turn"] == 0 and e["evaluator"] == "reply_similarity"]
    assert len(derived_turn_0) == 2 and derived_turn_0[1] == edited  # derived first, then yours
