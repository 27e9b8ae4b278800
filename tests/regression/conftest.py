"""A regression case saved by `replay --save`, shared by the CLI and pytest plugin tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli

INCIDENT = "support-session-003"
FIXED = "otel_replay.demo.support_agent:fixed_agent"
BUGGY = "otel_replay.demo.support_agent:buggy_agent"


@pytest.fixture(scope="package")
def cases(support_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The incident replayed against the fixed agent, saved as a regression case."""
    root = tmp_path_factory.mktemp("cases")
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
            support_store_url,
            "--save",
            str(root),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"saved regression case {root / INCIDENT}" in result.output
    return root
