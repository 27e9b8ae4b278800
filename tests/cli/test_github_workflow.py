"""The GitHub Actions example installs otel-replay from the repository it runs in: the package
is not published on the package index."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "github-actions" / "otel-replay.yml"


def _workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def _install_commands() -> list[list[str]]:
    steps = _workflow()["jobs"]["replay"]["steps"]
    commands = []
    for step in steps:
        for line in str(step.get("run", "")).splitlines():
            if line.strip().startswith("pip install"):
                commands.append(shlex.split(line))
    return commands


def test_workflow_installs_otel_replay_from_a_folder_of_the_checked_out_repository() -> None:
    (install,) = _install_commands()
    assert "otel-replay" not in install, "otel-replay is not on the package index"
    assert install[-1] == "$OTEL_REPLAY_SOURCE"
    source = _workflow()["env"]["OTEL_REPLAY_SOURCE"]
    assert source.startswith("./"), "pip reads a requirement without ./ from the index"


def test_workflow_checks_out_submodules_so_a_vendored_submodule_is_there() -> None:
    steps = _workflow()["jobs"]["replay"]["steps"]
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["submodules"] is True
