"""A regression case saved by `replay --save`, shared by the CLI and pytest plugin tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from otel_replay.cli.main import cli

INCIDENT = "support-session-003"
FIXED = "otel_replay.demo.support_agent:fixed_agent"
BUGGY = "otel_replay.demo.support_agent:buggy_agent"


def save_case(store_url: str, root: Path, *extra: str) -> tuple[int, str]:
    """`replay --save root` of the incident against the fixed agent: exit code and output."""
    result = CliRunner().invoke(
        cli,
        [
            "replay",
            INCIDENT,
            "--agent",
            FIXED,
            "--live-tools",
            "check_status",
            "--store",
            store_url,
            "--save",
            str(root),
            *extra,
        ],
    )
    return result.exit_code, result.output


def update_baseline(cases: Path, store_url: str) -> Result:
    """`otel-replay test cases --agent BUGGY --update-baseline`."""
    return CliRunner().invoke(
        cli, ["test", str(cases), "--agent", BUGGY, "--store", store_url, "--update-baseline"]
    )


@pytest.fixture(scope="package")
def cases(support_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The incident replayed against the fixed agent, saved as a regression case."""
    root = tmp_path_factory.mktemp("cases")
    code, output = save_case(support_store_url, root)
    assert code == 0, output
    assert f"saved regression case {root / INCIDENT}" in output
    return root
