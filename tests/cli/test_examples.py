"""The examples stay runnable: the support agent targets load and the workflow is valid."""

from __future__ import annotations

from pathlib import Path

import yaml

from otel_replay.replay.agents import load_agent

ROOT = Path(__file__).resolve().parents[2]


def test_support_agent_targets_answer_like_the_demo_agent() -> None:
    for name in ("fixed", "buggy"):
        session = load_agent(f"examples.support_agent.agents:{name}", search_path=str(ROOT))()
        reply = session([{"role": "user", "content": "Thanks!"}])
        assert reply == {"role": "assistant", "content": "You're welcome! Anything else?"}


def test_github_workflow_runs_otel_replay_test_and_posts_the_markdown_report() -> None:
    workflow = yaml.safe_load(
        (ROOT / "examples" / "github-actions" / "otel-replay.yml").read_text()
    )
    steps = workflow["jobs"]["replay"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "otel-replay test" in commands and "--report report.md" in commands
    assert any("report.md" in str(step.get("with", {}).get("script", "")) for step in steps)
