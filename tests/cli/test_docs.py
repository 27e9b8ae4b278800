"""Every command is documented: it has help text and an example in README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_readme_opens_with_a_two_command_quick_start() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line for line in quick.strip().splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].startswith("pip install") and "otel-replay demo" in lines[0]
    assert lines[1].startswith("./scripts/test")
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "./scripts/test" in ci


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_a_readme_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    summary = result.output.split("\n\n", 2)[1].strip()
    assert len(summary) > 20, f"{name} has no real help text"
    assert re.search(rf"`otel-replay {re.escape(name)}\b", README), f"{name} has no README example"
