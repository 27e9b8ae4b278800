"""Recordings of the openai example agent: another process, a real OpenAI instrumentation, the
official OTLP/HTTP trace and log exporters, an in-process receiver, a scripted model server.

Each recording runs once per test session, on first use. Instrumentors patch the `openai`
module globally, so the instrumented agent only ever runs in child processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from examples.openai_agent.fake_model import FAKE_RESPONSE_MODEL, scripted_model
from otel_replay.receiver.serve import Endpoint, Receiver, ServeConfig
from otel_replay.testing import Exchange, FakeOpenAIServer

REPO_ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Setup:
    instrumentation: str
    # OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (openai-v2 reads it; util-genai >= 1.0
    # takes span_only / event_only / span_and_event).
    capture: str
    stream: bool


SETUPS: dict[str, Setup] = {
    "openinference": Setup("openinference", "", stream=False),
    "openinference-stream": Setup("openinference", "", stream=True),
    # Message content only in `gen_ai.client.inference.operation.details` log records.
    "openai-v2-events": Setup("openai-v2", "event_only", stream=False),
    "openai-v2-spans-stream": Setup("openai-v2", "span_only", stream=True),
}


@dataclass(frozen=True)
class Recording:
    name: str
    setup: Setup
    store_url: str
    session_id: str
    replies: list[str]
    exchanges: list[Exchange]  # what the agent asked the model, and the completions it got

    def copy_store(self, folder: Path) -> str:
        """A private copy of the recorded store, for a test that writes to it."""
        source = Path(self.store_url.removeprefix("sqlite:///"))
        target = folder / "store.db"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"


def child_env(setup: Setup, base_url: str) -> dict[str, str]:
    """The environment of an instrumented child; no OTEL_* or OPENAI_* setting of ours leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_"))}
    env.update(
        {
            "OPENAI_BASE_URL": base_url,
            "OPENAI_API_KEY": "unused",
            "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_BLRP_SCHEDULE_DELAY": "100",
        }
    )
    if setup.capture:
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = setup.capture
    return env


def run_child(module: str, args: list[str], env: Mapping[str, str]) -> Any:
    """Run `python -m module args` from the repository root; its stdout parsed as JSON."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{module} failed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout)


def _record(name: str, folder: Path) -> Recording:
    setup = SETUPS[name]
    store_url = f"sqlite:///{folder / 'store.db'}"
    session_id = f"openai-{name}"
    receiver = Receiver(ServeConfig(grpc=None, http=Endpoint("127.0.0.1", 0), store_url=store_url))
    try:
        with FakeOpenAIServer(scripted_model, model=FAKE_RESPONSE_MODEL) as model:
            assert receiver.http_endpoint is not None
            args = [
                "--otlp",
                f"http://{receiver.http_endpoint}",
                "--instrumentation",
                setup.instrumentation,
                "--session-id",
                session_id,
            ]
            replies = run_child(
                "examples.openai_agent.record",
                [*args, "--stream"] if setup.stream else args,
                child_env(setup, model.base_url),
            )
            exchanges = model.exchanges
    finally:
        receiver.stop()
    return Recording(name, setup, store_url, session_id, replies[session_id], exchanges)


@pytest.fixture(scope="session")
def record(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Recording]:
    """`record(name)`: the recording of setup `name` (made on first use)."""
    made: dict[str, Recording] = {}

    def get(name: str) -> Recording:
        if name not in made:
            made[name] = _record(name, tmp_path_factory.mktemp(name))
        return made[name]

    return get
