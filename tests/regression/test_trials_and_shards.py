"""`test --trials N` fails a case only beyond the agent's own run-to-run spread;
`test --shard K/N` splits cases across CI jobs the same way everywhere."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from otel_replay.cli.main import cli
from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import Score
from otel_replay.regression.check import CaseResult, Failure, combine_trials
from otel_replay.regression.shard import Shard, shard_of
from tests.evals.runs import make_run
from tests.regression.conftest import BUGGY, FIXED, INCIDENT

RUN = make_run([])


def _trial(tools_pass: bool) -> CaseResult:
    scores = [
        Score(evaluator="tool_calls_equal", turn=1, passed=tools_pass, detail="tools"),
        Score(evaluator="reply_similarity", turn=1, passed=True, detail="similar"),
    ]
    failures = (
        []
        if tools_pass
        else [Failure("tool_calls_equal", 1, "tools", "[a]", "[b]", "turn 2: a -> b")]
    )
    return CaseResult("case", RUN, scores, failures, 1.0)


def test_a_check_failing_in_a_minority_of_trials_passes_within_the_noise() -> None:
    combined = combine_trials([_trial(True), _trial(False), _trial(True)])
    assert combined.passed
    assert combined.trials == 3
    assert "failed in 1 of 3 trials" in combined.scores[0].detail
    assert "3 trials" in combined.describe()


def test_a_check_failing_in_most_trials_fails_the_case_naming_the_count() -> None:
    combined = combine_trials([_trial(False), _trial(True), _trial(False)])
    assert not combined.passed
    (failure,) = combined.failures
    assert failure.turn == 1 and "failed in 2 of 3 trials" in failure.detail
    assert "turn 2: tool_calls_equal failed" in combined.describe()


def test_half_the_trials_failing_is_within_the_noise() -> None:
    assert combine_trials([_trial(False), _trial(True)]).passed


def test_one_trial_is_its_own_result() -> None:
    only = _trial(False)
    assert combine_trials([only]) is only


def test_cli_trials_fail_the_buggy_agent_every_time_and_pass_the_fixed_one(
    cases: Path, support_store_url: str
) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        cli, ["test", str(cases), "--agent", BUGGY, "--trials", "3", "--store", support_store_url]
    )
    assert bad.exit_code == 1, bad.output
    assert "failed in 3 of 3 trials" in bad.output
    good = runner.invoke(
        cli, ["test", str(cases), "--agent", FIXED, "--trials", "3", "--store", support_store_url]
    )
    assert good.exit_code == 0, good.output
    assert "3 trials" in good.output


@given(st.lists(st.text(min_size=1), min_size=1, max_size=20), st.integers(1, 8))
def test_every_case_is_in_exactly_one_shard(names: list[str], count: int) -> None:
    folders = [Path("cases") / name for name in names]
    picked = [f for k in range(1, count + 1) for f in Shard(k, count).select(folders)]
    assert sorted(picked) == sorted(folders)


def test_the_shard_is_the_sha256_of_the_folder_name_only() -> None:
    digest = hashlib.sha256(INCIDENT.encode()).digest()
    assert shard_of(INCIDENT, 4) == int.from_bytes(digest, "big") % 4 + 1
    assert Shard(1, 3).holds(Path("/a") / INCIDENT) == Shard(1, 3).holds(Path("/b") / INCIDENT)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_a_bad_shard_is_bad_input(text: str) -> None:
    with pytest.raises(BadInputError, match="--shard"):
        Shard.parse(text)


def test_cli_shards_split_the_cases_between_jobs(
    cases: Path, support_store_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "cases"
    names = [INCIDENT, "copy-a", "copy-b", "copy-c"]
    for name in names:
        shutil.copytree(cases / INCIDENT, root / name)
    runner = CliRunner()
    counts = []
    for k in (1, 2):
        result = runner.invoke(
            cli, ["test", str(root), "--shard", f"{k}/2", "--store", support_store_url]
        )
        assert result.exit_code == 0, result.output
        counts.append(result.output.count("PASS "))
        expected = [n for n in names if shard_of(n, 2) == k]
        assert f"{len(expected)} passed, 0 failed" in result.output
    assert sum(counts) == len(names)
    bad = runner.invoke(cli, ["test", str(root), "--shard", "3/2"])
    assert bad.exit_code == 2
