"""The pytest plugin under pytest-xdist: cases spread over workers, each worker with its own
model stand-in and store, and every case's verdict the same as in one process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.regression.conftest import FIXED, INCIDENT

NAMES = [INCIDENT, "copy-a", "copy-b", "copy-c"]


def _cases(cases: Path, pytester: pytest.Pytester) -> None:
    for name in NAMES:
        shutil.copytree(cases / INCIDENT, pytester.path / "cases" / name)


def test_cases_pass_across_two_workers(cases: Path, pytester: pytest.Pytester) -> None:
    # A subprocess: xdist's workers are processes of their own either way.
    _cases(cases, pytester)
    result = pytester.runpytest_subprocess(
        "cases", "-n", "2", f"--otel-replay-agent={FIXED}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=len(NAMES))
    result.stdout.fnmatch_lines(["*2 workers*"])
