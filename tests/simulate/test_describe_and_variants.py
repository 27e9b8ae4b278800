"""`scenario --describe` fills the user section from a recorded session; `--variants N`
writes N persona variants as scenario files that replay, save as cases and report per row.
The user model is the fake server, scripted to answer each request deterministically."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.scenario.files import read_scenario
from otel_replay.scenario.model import scenario_json_schema
from otel_replay.testing import FakeOpenAIServer, ScriptedReply
from tests.simulate.commands import FIXED, replay_args, simulating
from tests.simulate.record_incident import CUSTOMER_TURNS, INCIDENT
from tests.simulate.user_model import DESCRIBED, FOLLOW_UP, PERSONAS, VARIANT_TURNS


def test_describe_fills_the_user_section_from_the_recorded_session(
    incident_store_url: str, user_model: FakeOpenAIServer, tmp_path: Path
) -> None:
    out = tmp_path / "described.scenario.json"
    result = CliRunner().invoke(
        cli,
        [
            "scenario",
            INCIDENT,
            "--describe",
            "--user-model",
            user_model.base_url,
            "--user-model-name",
            "fake-user-1",
            "--store",
            incident_store_url,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(out.read_text()), scenario_json_schema())
    user = read_scenario(out).user
    assert user is not None
    assert (user.goal, user.persona, user.situation, user.expected_outcome) == (
        DESCRIBED["goal"],
        DESCRIBED["persona"],
        DESCRIBED["situation"],
        DESCRIBED["expected_outcome"],
    )
    assert user.examples == CUSTOMER_TURNS  # the real user's words, not the model's
    assert user.described_by == f"fake-user-1 at {user_model.base_url}"
    # The model read the recording: the refund the buggy agent made is in its prompt.
    prompt = user_model.exchanges[-1].body["messages"][-1]["content"]
    assert "issue_refund" in prompt and "My order 123 is late" in prompt


def test_a_model_answer_that_is_not_the_asked_json_is_a_clear_error(
    incident_store_url: str,
) -> None:
    answers = iter(["Sure! The user wants their order.", json.dumps({"goal": "x"})])
    with FakeOpenAIServer(lambda messages, tools: ScriptedReply(text=next(answers))) as bad:
        runner = CliRunner()
        base = [
            "scenario",
            INCIDENT,
            "--describe",
            "--user-model",
            bad.base_url,
            "--store",
            incident_store_url,
        ]
        prose = runner.invoke(cli, base)
        partial = runner.invoke(cli, base)
    assert prose.exit_code == 1
    assert "answered text that is not JSON" in prose.output and bad.chat_url in prose.output
    assert partial.exit_code == 1
    assert "persona: Field required" in partial.output


def test_describe_without_a_user_model_is_bad_input(incident_store_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["scenario", INCIDENT, "--describe", "--store", incident_store_url]
    )
    assert result.exit_code == 2
    assert "--describe and --variants need --user-model URL" in result.output


def test_three_variants_are_valid_rows_that_replay_save_as_cases_and_report_per_row(
    incident_store_url: str, user_model: FakeOpenAIServer, tmp_path: Path
) -> None:
    rows = tmp_path / "rows"
    runner = CliRunner()
    written = runner.invoke(
        cli,
        [
            "scenario",
            INCIDENT,
            "--variants",
            "3",
            "--user-model",
            user_model.base_url,
            "--store",
            incident_store_url,
            "-o",
            str(rows),
        ],
    )
    assert written.exit_code == 0, written.output
    files = sorted(rows.glob("*.json"))
    assert [f.name for f in files] == [f"{INCIDENT}-variant-{n}.scenario.json" for n in (1, 2, 3)]
    schema = scenario_json_schema()
    for number, path in enumerate(files, start=1):
        jsonschema.validate(json.loads(path.read_text()), schema)
        variant = read_scenario(path)
        assert variant.user is not None
        assert variant.user.variant == number and variant.user.variant_of == INCIDENT
        assert variant.user.persona == PERSONAS[number - 1]
        assert variant.user.goal == DESCRIBED["goal"]  # same goal, other words
        assert [t.user for t in variant.turns] == VARIANT_TURNS[number - 1]
        assert variant.source.session_id == INCIDENT  # still linked to the recording
    cases, report = tmp_path / "cases", tmp_path / "rows.md"
    simulate = simulating(user_model.base_url)
    saving = ["--save", str(cases), "--report", str(report)]
    replayed = runner.invoke(cli, replay_args(rows, incident_store_url, FIXED, *simulate, *saving))
    assert replayed.exit_code == 0, replayed.output
    saved = sorted(p.name for p in cases.iterdir())
    assert saved == [f"{INCIDENT}-variant-{n}" for n in (1, 2, 3)]
    markdown = report.read_text()
    assert "outcomes per scenario" in markdown
    for n in (1, 2, 3):
        assert f"| {INCIDENT}-variant-{n} | reached |" in markdown
    # Each case holds the conversation as played: its simulated turn is a turn of its own.
    played = read_scenario(cases / f"{INCIDENT}-variant-1" / "scenario.json")
    assert [t.user for t in played.turns] == [*VARIANT_TURNS[0][:2], FOLLOW_UP]
    tested = runner.invoke(
        cli, ["test", str(cases), "--agent", FIXED, "--store", incident_store_url]
    )
    assert tested.exit_code == 0, tested.output
