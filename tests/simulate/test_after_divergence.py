"""`replay --after-divergence`: a replay that diverges at turn 2 stops there, or goes on with
a simulated user (the fake model server scripted to play it) until its goal is met; every
turn is marked recorded or simulated in the run, the diff and every report format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from otel_replay.app.reports import run_reports
from otel_replay.cli.main import cli
from otel_replay.core.runs import OUTCOME_EVALUATOR, ReplayRun, SimulationEnd, TurnOrigin
from otel_replay.demo import support_agent
from otel_replay.diff.transcript import TurnStatus, diff_run_transcripts
from otel_replay.report.formats import ReportFormat, render_report
from otel_replay.report.model import report_json_schema
from otel_replay.scenario.files import read_scenario
from otel_replay.simulate.freeze import played_scenario
from otel_replay.store import open_store
from otel_replay.testing import FakeOpenAIServer, ScriptedReply
from tests.simulate.commands import BUGGY, FIXED, replay_args, simulating
from tests.simulate.record_incident import CUSTOMER_TURNS
from tests.simulate.user_model import FOLLOW_UP


def _replay(
    scenario_file: Path, store_url: str, agent: str, *extra: str
) -> tuple[int, ReplayRun, str]:
    result = CliRunner().invoke(cli, replay_args(scenario_file, store_url, agent, "--json", *extra))
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, ReplayRun.model_validate_json(result.stdout), result.output


def test_a_replay_diverging_at_turn_two_goes_on_with_a_simulated_user_until_its_goal_is_met(
    scenario_file: Path,
    incident_store_url: str,
    user_model: FakeOpenAIServer,
    tmp_path: Path,
) -> None:
    report_file = tmp_path / "report.json"
    code, run, _ = _replay(
        scenario_file,
        incident_store_url,
        FIXED,
        *simulating(user_model.base_url),
        "--report",
        str(report_file),
    )
    watch = run.divergence
    assert watch is not None
    assert watch.divergent_turn == 1 and watch.reason is not None
    assert "issue_refund" in watch.reason and "check_status" in watch.reason
    assert watch.ended_by is SimulationEnd.GOAL_MET and watch.simulated_turns == 1
    origins = [(t.index, t.origin, t.replayed is not None) for t in run.turns]
    assert origins == [
        (0, TurnOrigin.RECORDED, True),
        (1, TurnOrigin.RECORDED, True),
        (2, TurnOrigin.RECORDED, False),  # the real user's answer to the old agent: left out
        (3, TurnOrigin.RECORDED, False),
        (4, TurnOrigin.SIMULATED, True),
    ]
    simulated = run.turns[4]
    assert simulated.user == FOLLOW_UP and simulated.replayed is not None
    assert [c.name for c in simulated.replayed.tool_calls] == ["check_status"]
    assert simulated.replayed.assistant == "Order 123 is in transit, arriving Friday."
    assert run.turns[2].note is not None and "simulated user took over" in run.turns[2].note
    # The outcome, judged by the same endpoint: the fixed agent told the customer.
    (outcome,) = [s for s in run.scores if s.evaluator == OUTCOME_EVALUATOR]
    assert outcome.passed and code == 0
    # Marked in the diff ...
    diff = diff_run_transcripts(run)
    added = [t for t in diff.turns if t.status is TurnStatus.ADDED]
    assert [(t.number, t.replayed.origin if t.replayed else None) for t in added] == [
        (5, TurnOrigin.SIMULATED)
    ]
    # ... and in every report format.
    document = json.loads(report_file.read_text())
    jsonschema.validate(document, report_json_schema())  # = schemas/report.schema.json
    (report,) = document["reports"]
    assert [t["origin"] for t in report["transcript"]].count("simulated") == 1
    assert report["outcome"]["reached"] is True
    assert report["outcome"]["turns"] == {"original": 4, "replay": 3}
    assert report["outcome"]["simulated_turns"] == 1
    assert report["outcome"]["divergent_turn"] == 2
    # The original's traces are the recording's: a simulated turn has none.
    assert report["identity"]["original"]["trace_ids"] == [
        t.original_trace_id for t in run.turns[:4]
    ]
    store = open_store(incident_store_url)
    try:
        rendered = run_reports(store, [run])
    finally:
        store.close()
    for report_format in (ReportFormat.MARKDOWN, ReportFormat.HTML, ReportFormat.TEXT):
        text = render_report(rendered, report_format)
        assert "simulated" in text and "expected outcome reached" in text, report_format
    # The HTML gives the simulated mark a style of its own, apart from the diff's badges.
    html = render_report(rendered, ReportFormat.HTML)
    assert html.count('<span class="badge simulated">simulated</span>') == 1
    assert html.count('<span class="badge recorded">recorded</span>') == 4
    rules = _style_rules(html)
    simulated = rules[".badge.simulated"]
    assert simulated["background"] not in {
        rules[".badge"]["background"],
        rules[".badge.recorded"]["background"],
    }
    assert "dashed" in simulated["outline"]
    assert "dashed" in rules["tr.turn:has(.badge.simulated) > td:first-child"]["border-left"]


def _style_rules(html: str) -> dict[str, dict[str, str]]:
    """The page's style sheet as {selector: {property: value}} (one selector per rule; a
    rule with several is listed under each)."""
    sheet = html.split("<style>", 1)[1].split("</style>", 1)[0]
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", sheet):
        declarations = dict(
            (name.strip(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";") if d.strip())
        )
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)
    return rules


def test_stop_ends_the_replay_at_the_divergent_turn(
    scenario_file: Path, incident_store_url: str
) -> None:
    _, run, _ = _replay(scenario_file, incident_store_url, FIXED, "--after-divergence", "stop")
    assert [t.index for t in run.turns if t.replayed is not None] == [0, 1]
    assert all(t.origin is TurnOrigin.RECORDED for t in run.turns)
    assert run.divergence is not None
    assert run.divergence.ended_by is SimulationEnd.STOPPED
    assert run.divergence.divergent_turn == 1
    assert run.turns[3].note == "not replayed: the replay stopped at divergent turn 2"


def test_the_outcome_check_passes_for_the_fixed_agent_and_fails_for_the_buggy_one(
    scenario_file: Path, incident_store_url: str, user_model: FakeOpenAIServer
) -> None:
    judged = simulating(user_model.base_url)
    fixed_code, fixed, _ = _replay(scenario_file, incident_store_url, FIXED, *judged)
    buggy_code, buggy, _ = _replay(scenario_file, incident_store_url, BUGGY, *judged)
    verdicts = {
        name: [s.passed for s in run.scores if s.evaluator == OUTCOME_EVALUATOR]
        for name, run in (("fixed", fixed), ("buggy", buggy))
    }
    assert verdicts == {"fixed": [True], "buggy": [False]}
    assert (fixed_code, buggy_code) == (0, 1)
    # The buggy agent replays its recording exactly: nothing diverges, nobody is simulated.
    assert buggy.divergence is not None and buggy.divergence.divergent_turn is None
    assert buggy.divergence.ended_by is SimulationEnd.RECORDING_ENDED


def test_an_outcome_rule_of_ones_own_decides_without_a_judge(
    scenario_file: Path, incident_store_url: str, tmp_path: Path
) -> None:
    scenario = json.loads(scenario_file.read_text())
    scenario["user"]["outcome_rule"] = "python:tests.simulate.rules:no_refund"
    ruled = tmp_path / "ruled.scenario.json"
    ruled.write_text(json.dumps(scenario))
    _, fixed, _ = _replay(ruled, incident_store_url, FIXED)
    _, buggy, _ = _replay(ruled, incident_store_url, BUGGY)
    assert [s.passed for s in fixed.scores if s.evaluator == OUTCOME_EVALUATOR] == [True]
    assert [s.passed for s in buggy.scores if s.evaluator == OUTCOME_EVALUATOR] == [False]
    assert fixed.divergence is None  # continue: today's replay, nothing watched


def test_simulate_without_a_user_model_is_bad_input(
    scenario_file: Path, incident_store_url: str
) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "replay",
            str(scenario_file),
            "--agent",
            FIXED,
            "--store",
            incident_store_url,
            "--after-divergence",
            "simulate",
        ],
    )
    assert result.exit_code == 2
    assert "--after-divergence simulate needs --user-model URL" in result.output


def test_a_user_model_that_stops_answering_ends_the_simulation_and_fails_the_run(
    scenario_file: Path, incident_store_url: str
) -> None:
    with FakeOpenAIServer(lambda messages, tools: ScriptedReply(text="I am not JSON")) as bad:
        code, run, _ = _replay(scenario_file, incident_store_url, FIXED, *simulating(bad.base_url))
    assert code == 1
    assert run.divergence is not None
    assert run.divergence.ended_by is SimulationEnd.USER_MODEL_FAILED
    assert run.divergence.error is not None and "not JSON" in run.divergence.error
    failed = [s for s in run.scores if not s.passed]
    assert [s.evaluator for s in failed] == ["simulated_user", OUTCOME_EVALUATOR]
    assert [t.index for t in run.turns if t.replayed is not None] == [0, 1]


def test_the_terminal_marks_simulated_turns_and_says_how_the_replay_ended(
    scenario_file: Path, incident_store_url: str, user_model: FakeOpenAIServer
) -> None:
    args = replay_args(scenario_file, incident_store_url, FIXED, *simulating(user_model.base_url))
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "5 simulated" in result.output and "1 recorded" in result.output
    text = " ".join(result.output.split())  # the console wraps at its width
    assert (
        "after divergence: simulate · first divergent turn 2 (tool calls "
        "issue_refund(order_id=123) -> check_status(order_id=123))"
    ) in text
    assert "ended: goal met" in text


def test_a_simulated_turn_is_sealed_its_side_effect_answered_from_the_recording(
    scenario_file: Path,
    incident_store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The recorded greeting edited, so that even the buggy agent diverges at turn 1; the
    # simulated user then says what makes it refund.
    scenario = json.loads(scenario_file.read_text())
    scenario["turns"][0]["assistant"] = "Good day."
    edited = tmp_path / "edited.scenario.json"
    edited.write_text(json.dumps(scenario))
    refunds: list[str] = []
    monkeypatch.setattr(support_agent, "REFUNDS", refunds)
    said = iter(
        [{"message": "It's late! Where is order 123?", "goal_met": False}, {"goal_met": True}]
    )
    with FakeOpenAIServer(
        # After the user's two answers, the outcome judge (the same endpoint) is answered too.
        lambda messages, tools: ScriptedReply(text=json.dumps(next(said, {"pass": False})))
    ) as scripted:
        _, run, _ = _replay(edited, incident_store_url, BUGGY, *simulating(scripted.base_url))
    assert run.divergence is not None and run.divergence.divergent_turn == 0
    simulated = [t for t in run.turns if t.simulated]
    assert [t.user for t in simulated] == ["It's late! Where is order 123?"]
    replayed = simulated[0].replayed
    assert replayed is not None
    assert [(c.name, c.source) for c in replayed.tool_calls] == [("issue_refund", "recorded")]
    assert refunds == []  # the refund was the recording's, never made again


def test_max_turns_bounds_the_simulated_conversation(
    scenario_file: Path, incident_store_url: str, user_model: FakeOpenAIServer
) -> None:
    simulate = [*simulating(user_model.base_url), "--max-turns", "3"]
    _, run, _ = _replay(scenario_file, incident_store_url, FIXED, *simulate)
    assert run.divergence is not None
    assert run.divergence.ended_by is SimulationEnd.MAX_TURNS
    assert [t.index for t in run.turns if t.replayed is not None] == [0, 1, 4]


def test_a_stopped_replay_is_saved_as_the_conversation_it_played(
    scenario_file: Path, incident_store_url: str
) -> None:
    _, run, _ = _replay(scenario_file, incident_store_url, FIXED, "--after-divergence", "stop")
    played = played_scenario(read_scenario(scenario_file), run)
    assert [t.user for t in played.turns] == CUSTOMER_TURNS[:2]
    assert "2 recorded turn(s) after the divergence left out" in played.notes[-1]
