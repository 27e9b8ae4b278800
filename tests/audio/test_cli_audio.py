"""`replay --audio` with a text agent: the report plays the recording beside the replayed
replies spoken offline (a report without audio has no player: tests/audio/test_html_audio)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from otel_replay.audio.pcm import read_wav
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.cli.main import cli
from tests.audio.calls import CALL_ID, store_call

REPLY = "Your parcel is on its way."


def text_agent(messages: list[dict[str, Any]]) -> str:
    """The agent under test: a Python callable answering every turn the same."""
    return REPLY


def test_a_text_replay_with_audio_speaks_its_replies_beside_the_recording(
    synthesizer: Synthesizer, tmp_path: Path
) -> None:
    store_url = store_call(tmp_path, synthesizer)
    agent = "tests.audio.test_cli_audio:text_agent"
    base = ["replay", CALL_ID, "--agent", agent, "--store", store_url]
    spoken = CliRunner().invoke(cli, [*base, "--audio", "--report", str(tmp_path / "r.md")])
    assert spoken.exit_code == 0, spoken.output
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert (
        "### Audio" in markdown and "the replayed text spoken (voice en_US-joe-medium)" in markdown
    )
    link = re.search(r"\]\((r-audio/[^)]+\.wav)\)", markdown)
    assert link is not None
    spoken_wav = read_wav(tmp_path / link.group(1))
    # Two replies of six words each, with a pause between them.
    assert 2.5 < spoken_wav.duration_seconds < 8
    assert re.search(r"turn 2: original [0-9.]+-[0-9.]+ s · replay [0-9.]+-[0-9.]+ s", markdown)


def test_audio_with_a_text_agent_and_no_report_is_refused(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["replay", CALL_ID, "--agent-url", "http://127.0.0.1:9/v1/chat/completions"]
    result = CliRunner().invoke(cli, [*args, "--audio", "--store", store_url])
    assert result.exit_code == 2
    assert "add --report" in result.output
