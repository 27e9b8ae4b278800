"""A hosted replay kept as a regression case: `replay --agent retell://... | vapi://...
--save` writes a case folder, `otel-replay test` reruns it against the fake platform and
passes; when the fake's agent answers differently the case fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from otel_replay.cli.main import cli
from tests.conftest import FIXTURES
from tests.voice.fake_platforms import FakePlatform

CALL = FIXTURES / "voice" / "synthetic" / "vapi_eocr_barge_in_tool_call.json"


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _variables(body: dict[str, Any]) -> Any:
    if "dynamic_variables" in body:
        return body["dynamic_variables"]
    return body["assistantOverrides"]["variableValues"]


@pytest.mark.parametrize(
    ("agent", "route"),
    [("retell://agent_1@4", "/agent-playground-completion/"), ("vapi://asst_1", "/chat")],
)
def test_a_saved_hosted_replay_reruns_as_a_case_and_fails_on_a_changed_answer(
    tmp_path: Path,
    sqlite_url: str,
    order_platforms: FakePlatform,
    monkeypatch: pytest.MonkeyPatch,
    agent: str,
    route: str,
) -> None:
    store = ("--store", sqlite_url)
    call = json.loads(CALL.read_text())
    call["message"]["call"]["assistantOverrides"] = {"variableValues": {"name": "Sam"}}
    recorded = tmp_path / "call.json"
    recorded.write_text(json.dumps(call))
    assert _invoke("import", str(recorded), *store).exit_code == 0
    cases = tmp_path / "cases"
    saved = _invoke("replay", "call-synth-barge-in", "--agent", agent, "--save", str(cases), *store)
    assert saved.exit_code == 0, saved.output
    (folder,) = [p for p in cases.iterdir() if p.is_dir()]
    first = order_platforms.posted(route)
    assert first and all(_variables(body) == {"name": "Sam"} for body in first)
    sent = len(first)

    passed = _invoke("test", str(cases), *store)
    assert passed.exit_code == 0, passed.output
    reran = order_platforms.posted(route)[sent:]
    assert len(reran) == 2  # the case reran against the platform, with the call's variables
    assert all(_variables(body) == {"name": "Sam"} for body in reran)
    assert order_platforms.live_calls == []

    # The hosted agent now answers differently: the case fails.
    monkeypatch.setattr(
        "tests.voice.fake_platforms._reply_for", lambda text, tool: "Sorry, I cannot help."
    )
    failed = _invoke("test", str(cases), *store)
    assert failed.exit_code == 1, failed.output
    assert folder.name in failed.output
    assert json.loads((folder / "case.json").read_text())["agent"] == agent
