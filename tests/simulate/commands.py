"""The replay command lines the simulation tests run (the fixed or buggy support agent, its
read-only tool live)."""

from __future__ import annotations

from pathlib import Path

FIXED = "otel_replay.demo.support_agent:fixed_agent"
BUGGY = "otel_replay.demo.support_agent:buggy_agent"


def replay_args(target: Path, store_url: str, agent: str, *extra: str) -> list[str]:
    """`replay TARGET --agent AGENT --store URL --live-tools check_status EXTRA...`."""
    return [
        "replay",
        str(target),
        "--agent",
        agent,
        "--store",
        store_url,
        "--live-tools",
        "check_status",
        *extra,
    ]


def simulating(user_model_url: str) -> list[str]:
    """The options that hand a diverged replay to the simulated user at that endpoint."""
    return ["--after-divergence", "simulate", "--user-model", user_model_url]
