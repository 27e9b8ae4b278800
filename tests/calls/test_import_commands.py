"""`otel-replay import` of call files, then `session`, `scenario` and `trace` on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from otel_replay.cli.main import cli
from tests.calls import support
from tests.calls.support import (
    BUCKET_REASONS,
    CALL_FILES,
    load,
    retell_webhook,
    vapi_report,
    with_config,
)


def _run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def _session(store_url: str, session_id: str) -> dict[str, Any]:
    shown = json.loads(_run("session", session_id, "--json", "--store", store_url).output)
    assert isinstance(shown, dict)
    return shown


def _names(spans: list[dict[str, Any]]) -> list[str]:
    """Span names of a `trace --json` tree, depth first."""
    return [n for span in spans for n in (span["name"], *_names(span["children"]))]


@pytest.mark.parametrize("case", sorted(CALL_FILES))
def test_a_call_file_imports_and_every_command_reads_it(
    case: str, sqlite_url: str, tmp_path: Path
) -> None:
    path, call_id, turns = CALL_FILES[case]
    imported = _run("import", str(path), "--store", sqlite_url)
    assert "1 voice call(s)" in imported.output
    shown = _session(sqlite_url, call_id)
    assert len(shown["turns"]) == turns
    assert all(t["user"] for t in shown["turns"])
    _run("session", call_id, "--store", sqlite_url)  # the table view too
    scenario_file = tmp_path / "scenario.json"
    _run("scenario", call_id, "-o", str(scenario_file), "--store", sqlite_url)
    scenario = json.loads(scenario_file.read_text())
    assert scenario["source"]["session_id"] == call_id
    assert [t["user"] for t in scenario["turns"]] == [t["user"] for t in shown["turns"]]
    assert scenario["agent"]["voice"]["platform"] in ("vapi", "retell")
    (trace_id,) = shown["trace_ids"]
    tree = json.loads(_run("trace", trace_id, "--json", "--store", sqlite_url).output)
    names = _names(tree["spans"])
    assert names.count("voice.call") == 1
    assert names.count("voice.turn") == turns


def test_calls_with_their_configuration_import_on_both_databases(
    store_url: str, tmp_path: Path
) -> None:
    files = []
    for name, document in (
        ("vapi.json", with_config(support.FAGI_VAPI_CALL, "assistant", support.VAPI_ASSISTANT)),
        (
            "retell.json",
            with_config(support.RETELL_SPEC_CALL, "agent", support.RETELL_AGENT_EXPORT),
        ),
        ("tools.json", load(support.RETELL_TOOLS)),
        ("barge-in.json", load(support.VAPI_BARGE_IN)),
    ):
        file = tmp_path / name
        file.write_text(json.dumps(document))
        files.append(str(file))
    assert "4 voice call(s)" in _run("import", *files, "--store", store_url).output
    # Importing the same calls again stores nothing new: a call's ids come from its id.
    _run("import", *files, "--store", store_url)
    listed = json.loads(_run("sessions", "--json", "--store", store_url).output)
    by_id = {s["session_id"]: s for s in listed}
    assert by_id["call_test_123"]["span_count"] == 5  # with its analysis
    assert by_id["call-synth-barge-in"]["turn_count"] == 2
    shown = _session(store_url, "call_synth_retell_tools")
    (tool,) = shown["turns"][0]["tool_calls"]
    assert (tool["name"], tool["error"]) == ("check_availability", "calendar unavailable")
    scenario_file = tmp_path / "vapi-scenario.json"
    _run("scenario", "call_test_123", "-o", str(scenario_file), "--store", store_url)
    voice = json.loads(scenario_file.read_text())["agent"]["voice"]
    assert (voice["source"], voice["voice_id"]) == ("file.assistant", "sarah")
    assert len(voice["tools"]) == 5


def test_a_file_that_is_no_finished_call_is_refused_and_nothing_is_stored(
    sqlite_url: str, tmp_path: Path
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(load(support.VAPI_BARGE_IN)))
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"message": {"type": "status-update", "status": "ended"}}))
    result = CliRunner().invoke(cli, ["import", str(good), str(status), "--store", sqlite_url])
    assert result.exit_code == 2
    assert "status.json: this vapi payload holds no finished call" in result.output
    listed = json.loads(_run("sessions", "--json", "--store", sqlite_url).output)
    assert listed == []


def test_one_call_per_end_reason_bucket_imports_from_one_json_lines_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    lines = []
    for bucket, vapi_reason, retell_reason in BUCKET_REASONS:
        lines.append(json.dumps(vapi_report(f"vapi-{bucket}", vapi_reason)))
        lines.append(json.dumps(retell_webhook(f"retell-{bucket}", retell_reason)))
    calls = tmp_path / "calls.jsonl"
    calls.write_text("\n".join(lines) + "\n")
    imported = _run("import", str(calls), "--store", sqlite_url)
    assert f"{len(lines)} voice call(s)" in imported.output
    for bucket, _, _ in BUCKET_REASONS:
        for call_id in (f"vapi-{bucket}", f"retell-{bucket}"):
            (trace_id,) = _session(sqlite_url, call_id)["trace_ids"]
            tree = json.loads(_run("trace", trace_id, "--json", "--store", sqlite_url).output)
            (root,) = tree["spans"]
            assert root["attributes"]["voice.call.end_reason.bucket"] == bucket
