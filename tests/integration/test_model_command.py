"""`otel-replay model`: an agent run by hand talks to the recorded model, turn after turn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from examples.openai_agent import agent as example_agent
from otel_replay.app.conversations import session_scenario
from otel_replay.scenario.files import write_scenario
from otel_replay.store import open_store
from tests.integration.conftest import REPO_ROOT, Recording


def test_a_hand_run_agent_gets_every_recorded_answer_from_the_model_command(
    record: Callable[[str], Recording], tmp_path: Path
) -> None:
    recording = record("openinference")
    store = open_store(recording.copy_store(tmp_path))
    try:
        scenario = session_scenario(store, recording.session_id)
    finally:
        store.close()
    path = tmp_path / "scenario.json"
    write_scenario(scenario, path)
    server = subprocess.Popen(
        [sys.executable, "-m", "otel_replay", "model", str(path), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "OPENAI_API_KEY": "unused"},
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # "serving ... on http://127.0.0.1:PORT"
        base_url = first.rsplit(" ", 1)[-1].strip() + "/v1"
        messages: list[dict[str, object]] = []
        replies = []
        for turn in scenario.turns:
            messages.append({"role": "user", "content": turn.user})
            reply = example_agent.answer(messages, base_url=base_url)
            replies.append(reply)
            messages.append({"role": "assistant", "content": reply})
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert replies == [turn.assistant for turn in scenario.turns]
    calls = sum(len(turn.llm_calls) for turn in scenario.turns)
    assert f"served {calls} model call(s), 0 matched no recorded call" in output
    assert server.returncode == 0
