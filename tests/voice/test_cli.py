"""The commands over a hosted replay: a Vapi call file imported, its scenario written,
replayed with `--agent retell://...` against the fake Retell API, and diffed into Markdown
and JSON reports with a voice-metrics comparison."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli
from tests.conftest import FIXTURES
from tests.voice.fake_platforms import KEY, ORDERS, FakePlatform, fake_platform

CALL = FIXTURES / "voice" / "synthetic" / "vapi_eocr_barge_in_tool_call.json"


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatform]:
    with fake_platform(ORDERS) as fake:
        monkeypatch.setenv("RETELL_API_KEY", KEY)
        monkeypatch.setenv("OTEL_REPLAY_RETELL_BASE_URL", fake.url)
        yield fake


def test_replay_and_diff_of_a_hosted_agent_report_transcript_and_voice_metrics(
    tmp_path: Path, sqlite_url: str, platform: FakePlatform
) -> None:
    runner = CliRunner()
    store = ["--store", sqlite_url]
    assert runner.invoke(cli, ["import", str(CALL), *store]).exit_code == 0
    scenario = tmp_path / "call.json"
    made = runner.invoke(cli, ["scenario", "call-synth-barge-in", "-o", str(scenario), *store])
    assert made.exit_code == 0, made.output

    replayed = runner.invoke(
        cli, ["replay", str(scenario), "--agent", "retell://agent_1@4", "--json", *store]
    )
    assert replayed.exit_code == 0, replayed.output
    run = json.loads(replayed.stdout)
    assert run["agent"] == "retell://agent_1@4"
    assert platform.live_calls == []
    mocks = platform.posted("/agent-playground-completion/agent_1")[0]["tool_mocks"]
    assert mocks[0]["tool_name"] == "lookup_order"
    assert json.loads(mocks[0]["output"]) == {"status": "shipped", "eta": "Friday"}

    report_json, report_md = tmp_path / "diff.json", tmp_path / "diff.md"
    for path in (report_json, report_md):
        diffed = runner.invoke(cli, ["diff", run["run_id"], "--report", str(path), *store])
        assert diffed.exit_code == 0, diffed.output
    (report,) = json.loads(report_json.read_text())["reports"]
    assert [t["user"] for t in report["transcript"]] == [
        "Hi, where is my order 4471?",
        "No, that's all, thanks.",
    ]
    assert report["transcript"][0]["replay"]["assistant"].startswith("Here is what I found:")
    voice = report["voice"]
    assert (voice["original_source"], voice["replay_source"]) == ("vapi", "text_replay")
    rows = {row["name"]: row for row in voice["call"]}
    assert rows["user_interruptions"]["original"] == 1
    assert rows["agent_latency_ms_mean"]["original"] == 600.0
    assert "### Voice metrics" in report_md.read_text()
