"""The repository stands alone: a fresh clone holds every file its code, tests and docs read."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PUBLIC_FIXTURES, SEMCONV_FIXTURES

ROOT = Path(__file__).resolve().parents[1]
# A folder beside the checkout, or the machine the project was first written on: neither comes
# with a clone. The last pattern catches a path built by joining "shared" onto a parent folder.
OUTSIDE = re.compile(rb"""\.\./shared|shared/fixtures|shared/docs|/work/|/\s*["']shared["']""")


def _tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # code, tests, docs, configs and fixtures alike
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    )
    this_file = Path(__file__).resolve().relative_to(ROOT).as_posix()
    return [name for name in listed.stdout.decode().split("\0") if name and name != this_file]


def test_no_tracked_file_reads_or_cites_a_folder_outside_the_repository() -> None:
    files = _tracked_files()
    assert files, "git ls-files listed nothing to check"
    offenders = []
    for name in files:
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{number}: {line.decode(errors='replace').strip()}")
    assert offenders == []


def test_the_fixtures_the_tests_read_are_inside_the_repository() -> None:
    for folder in (SEMCONV_FIXTURES, PUBLIC_FIXTURES):
        assert folder.resolve().is_relative_to(ROOT / "tests" / "fixtures")
        assert any(folder.iterdir()), f"{folder} is empty"


def test_every_public_fixture_folder_carries_a_licence_text_and_a_provenance_row() -> None:
    provenance = (PUBLIC_FIXTURES / "PROVENANCE.md").read_text(encoding="utf-8")
    folders = [p for p in PUBLIC_FIXTURES.iterdir() if p.is_dir()]
    assert folders
    for folder in folders:
        assert list(folder.glob("LICENSE*")), f"{folder.name} has no licence text"
        assert f"| {folder.name}/" in provenance, f"{folder.name} has no row in PROVENANCE.md"
