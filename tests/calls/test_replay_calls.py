"""`replay`, `diff` and `test` on an imported Vapi call: the recorded user turns go to a local
agent, its tool call is answered from the call's recorded result, and the run compares."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from otel_replay.cli.main import cli
from tests.calls import agents
from tests.calls.support import VAPI_BARGE_IN

AGENT = "tests.calls.agents:answer"


def test_an_imported_call_replays_diffs_and_becomes_a_passing_case(
    sqlite_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    store = ["--store", sqlite_url]
    assert runner.invoke(cli, ["import", str(VAPI_BARGE_IN), *store]).exit_code == 0
    cases = tmp_path / "cases"
    replayed = runner.invoke(
        cli, ["replay", "call-synth-barge-in", "--agent", AGENT, "--save", str(cases), *store]
    )
    assert replayed.exit_code == 0, replayed.output
    assert agents.CALLS == []  # the recording answered the sealed tool
    assert "lookup_order" in replayed.output
    match = re.search(r"run id ([0-9a-f]{32})", replayed.output)
    assert match, replayed.output
    diffed = runner.invoke(
        cli, ["diff", match.group(1), "--report", str(tmp_path / "d.md"), *store]
    )
    assert diffed.exit_code == 0, diffed.output
    report = (tmp_path / "d.md").read_text()
    assert "Your order shipped and arrives on Friday." in report  # the replayed reply
    assert "completed_user" in report  # the call's end-reason bucket, in the voice section
    tested = runner.invoke(cli, ["test", str(cases), "--agent", AGENT, *store])
    assert tested.exit_code == 0, tested.output
    assert "1 passed" in tested.output
