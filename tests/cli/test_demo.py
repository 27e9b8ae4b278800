from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_tells_the_whole_story_offline_in_one_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "otel_replay", "demo", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "support-session-003" in out
    assert "turn 4: issue_refund(order_id=123) -> check_status(order_id=123)" in out
    assert "PASS support-session-003" in out
    assert "FAIL support-session-003" in out
    assert (tmp_path / "cases" / "support-session-003" / "case.json").is_file()
    assert (tmp_path / "otel-replay.db").is_file()
