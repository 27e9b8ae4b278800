"""`otel-replay diff` and `replay --report` on real stores: imported fixtures and a recorded,
replayed support agent."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from otel_replay.app.conversations import session_scenario
from otel_replay.app.reports import run_reports, write_reports
from otel_replay.cli.main import cli
from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import ReplayRun
from otel_replay.replay.agents import load_agent
from otel_replay.replay.runner import replay_scenario
from otel_replay.store import open_store
from tests.conftest import SEMCONV_FIXTURES

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text()
)
PLAIN = "otel-genai-v1.37-session-001"
STRUCTURED = "otel-genai-v1.37-structured-session-001"
INCIDENT = "support-session-003"
TOOL_CHANGE = "turn 4: issue_refund(order_id=123) -> check_status(order_id=123)"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def semconv_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The plain and the structured OTel GenAI v1.37 fixtures: one conversation, two
    encodings of the same attributes."""
    url = f"sqlite:///{tmp_path_factory.mktemp('semconv') / 'store.db'}"
    files = [
        str(SEMCONV_FIXTURES / f"{name}.json")
        for name in ("otel-genai-v1.37", "otel-genai-v1.37-structured")
    ]
    code, output = _invoke("import", *files, "--store", url)
    assert code == 0, output
    return url


def test_diff_of_two_equal_conversations_finds_no_divergent_turn(semconv_store: str) -> None:
    code, output = _invoke("diff", PLAIN, STRUCTURED, "--store", semconv_store, "--json")
    assert code == 0, output
    document = json.loads(output)
    jsonschema.validate(document, SCHEMA)
    (report,) = document["reports"]
    assert report["identity"]["kind"] == "sessions"
    assert [report["identity"][side]["session_id"] for side in ("original", "replay")] == [
        PLAIN,
        STRUCTURED,
    ]
    assert report["summary"]["first_divergent_turn"] is None
    assert report["summary"]["tool_changes"] == []
    assert [t["status"] for t in report["transcript"]] == ["same", "same"]
    rows = report["span_tree"]["rows"]
    assert rows and all(row["status"] in ("same", "changed") for row in rows)
    assert report["span_tree"]["summary"]["added"] == report["span_tree"]["summary"]["removed"] == 0


def test_diff_prints_the_terminal_report_and_accepts_trace_ids(semconv_store: str) -> None:
    store = open_store(semconv_store)
    try:
        first = store.list_traces(session_id=PLAIN)[0].trace_id
        second = store.list_traces(session_id=STRUCTURED)[0].trace_id
    finally:
        store.close()
    code, output = _invoke("diff", first, second, "--store", semconv_store)
    assert code == 0, output
    assert "identical: 1 turn(s), no span differences" in output  # one trace: turn 1 only
    assert output.count("· get_weather(location=Paris)") == 2  # both sides of turn 1
    assert "span-tree diff" in output


def test_diff_rejects_unknown_ids_a_lone_session_and_a_bad_report_extension(
    semconv_store: str, tmp_path: Path
) -> None:
    code, output = _invoke("diff", "nope", PLAIN, "--store", semconv_store)
    assert code == 2 and "'nope' is no replay run, trace or session" in output
    code, output = _invoke("diff", PLAIN, "--store", semconv_store)
    assert code == 2 and "is not a replay run" in output
    target = tmp_path / "diff.pdf"
    code, output = _invoke(
        "diff", PLAIN, STRUCTURED, "--store", semconv_store, "--report", str(target)
    )
    assert code == 2 and "valid extensions: .md, .json, .html, .txt" in output
    assert not target.exists()


@pytest.fixture(scope="module")
def incident_store(support_store_url: str) -> str:
    """The buggy support agent's sessions, exported over OTLP/gRPC by another process."""
    return support_store_url


@pytest.fixture(scope="module")
def fixed_run(incident_store: str) -> ReplayRun:
    store = open_store(incident_store)
    try:
        return replay_scenario(
            session_scenario(store, INCIDENT),
            load_agent("otel_replay.demo.support_agent:fixed_agent"),
            store,
            agent_label="fixed",
        )
    finally:
        store.close()


def test_diff_of_a_run_compares_it_with_the_session_it_replayed(
    incident_store: str, fixed_run: ReplayRun, tmp_path: Path
) -> None:
    page = tmp_path / "out.html"
    code, output = _invoke(
        "diff", fixed_run.run_id, "--store", incident_store, "--report", str(page)
    )
    assert code == 0, output
    assert TOOL_CHANGE in output
    assert f"report written to {page}" in output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert TOOL_CHANGE.replace(">", "&gt;") in text
    assert '<li class="tool removed original">issue_refund(order_id=123)</li>' in text
    assert '<tr class="span changed">' in text


def test_a_run_named_with_its_original_session_gets_the_run_report(
    incident_store: str, fixed_run: ReplayRun
) -> None:
    code, output = _invoke("diff", INCIDENT, fixed_run.run_id, "--store", incident_store, "--json")
    assert code == 0, output
    (report,) = json.loads(output)["reports"]
    assert report["identity"]["kind"] == "replay_run"
    assert report["identity"]["run_id"] == fixed_run.run_id
    assert report["summary"]["first_divergent_turn"] == 4
    assert report["summary"]["tool_changes"] == [TOOL_CHANGE]
    spans = report["span_tree"]["summary"]
    assert spans["total"] > 0 and spans["changed"] > 0


def test_run_reports_render_by_extension_one_document_for_all_runs(
    incident_store: str, fixed_run: ReplayRun, tmp_path: Path
) -> None:
    store = open_store(incident_store)
    try:
        for name in ("r.md", "r.json", "r.txt"):
            write_reports(run_reports(store, [fixed_run, fixed_run]), str(tmp_path / name))
        with pytest.raises(BadInputError, match=r"valid extensions: \.md, \.json, \.html, \.txt"):
            write_reports(run_reports(store, [fixed_run]), str(tmp_path / "r.docx"))
    finally:
        store.close()
    document = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(document, SCHEMA)
    assert len(document["reports"]) == 2
    assert (tmp_path / "r.md").read_text().count(f"- `{TOOL_CHANGE}`") == 2
    assert all(len(line) <= 100 for line in (tmp_path / "r.txt").read_text().splitlines())
    assert not (tmp_path / "r.docx").exists()


def test_replay_command_writes_a_report(incident_store: str, tmp_path: Path) -> None:
    report = tmp_path / "replay.md"
    base = ["replay", INCIDENT, "--store", incident_store, "--agent"]
    agent = "otel_replay.demo.support_agent:fixed_agent"
    code, output = _invoke(*base, agent, "--report", str(report))
    assert code == 0, output
    text = report.read_text(encoding="utf-8")
    assert text.startswith("## otel-replay: replay ")
    assert f"- `{TOOL_CHANGE}`" in text
    code, output = _invoke(*base, agent, "--report", str(tmp_path / "replay.pdf"))
    assert code == 2 and "valid extensions" in output
