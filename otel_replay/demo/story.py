"""The whole story, offline: record the buggy agent, find the bad session, replay it against
the fix, diff, save a regression case, and test both versions against it.

The library runs the steps; the caller decides how to show each one (`show(title, data)`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from otel_replay.app.cases import run_case
from otel_replay.app.conversations import load_conversation, session_scenario
from otel_replay.app.replaying import replay_scenarios, save_cases
from otel_replay.app.sessions import list_sessions
from otel_replay.app.targets import AgentRef
from otel_replay.core.errors import OtelReplayError
from otel_replay.core.runs import ReplayRun
from otel_replay.diff.transcript import diff_run_transcripts, format_tool_change
from otel_replay.receiver.serve import Endpoint, Receiver, ServeConfig
from otel_replay.regression.check import CaseResult
from otel_replay.regression.files import load_case
from otel_replay.replay.runner import ReplayOptions
from otel_replay.semconv.model import Conversation
from otel_replay.store import SessionSummary, open_store

INCIDENT = "support-session-003"
FIXED = "otel_replay.demo.support_agent:fixed_agent"
BUGGY = "otel_replay.demo.support_agent:buggy_agent"

# What a step shows: a line, lines, the session list, a conversation or a replay run.
DemoView = str | list[str] | list[SessionSummary] | Conversation | ReplayRun
Show = Callable[[str, DemoView], None]


@dataclass(frozen=True)
class DemoResult:
    store_url: str
    run: ReplayRun
    tool_changes: list[str]
    case_folder: Path
    fixed: CaseResult
    buggy: CaseResult

    @property
    def as_expected(self) -> bool:
        """The fix passes its regression case and the buggy version fails it."""
        return self.fixed.passed and not self.buggy.passed


def run_demo(workdir: Path, show: Show) -> DemoResult:
    """Run every step in `workdir` (a SQLite store and a regression case folder)."""
    workdir.mkdir(parents=True, exist_ok=True)
    store_url = f"sqlite:///{workdir / 'otel-replay.db'}"
    receiver = Receiver(ServeConfig(grpc=Endpoint("127.0.0.1", 0), http=None, store_url=store_url))
    try:
        show("1. receiver started", receiver.describe())
        recorded = subprocess.run(
            [
                sys.executable,
                "-m",
                "otel_replay.demo.record",
                "--endpoint",
                str(receiver.grpc_endpoint),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if recorded.returncode != 0:
            raise OtelReplayError(f"recording the demo sessions failed: {recorded.stderr.strip()}")
        show(
            "2. the buggy support agent served three customers, exported over OTLP/gRPC",
            recorded.stdout,
        )
    finally:
        receiver.stop()
    store = open_store(store_url)
    try:
        show("3. sessions in the store", list_sessions(store))
        show(f"4. the incident, {INCIDENT}, reconstructed", load_conversation(store, INCIDENT))
        scenario = session_scenario(store, INCIDENT)
        options = ReplayOptions(live_tools=frozenset({"check_status"}))
        outcome = replay_scenarios(store, [scenario], AgentRef(module=FIXED), options)
        run = outcome.runs[0]
        show("5. replayed against the fixed agent (check_status live, other tools sealed)", run)
        changes = [c for c in map(format_tool_change, diff_run_transcripts(run).turns) if c]
        show("6. what changed", changes)
        folder = save_cases(outcome, workdir / "cases", options)[0]
        show("7. saved as a regression case", str(folder))
        loaded = load_case(folder)
        fixed = run_case(store, loaded, agent=FIXED)
        buggy = run_case(store, loaded, agent=BUGGY)
        show("8. otel-replay test: the fixed agent", fixed.describe())
        show("9. otel-replay test: the buggy agent", buggy.describe())
    finally:
        store.close()
    return DemoResult(store_url, run, changes, folder, fixed, buggy)
