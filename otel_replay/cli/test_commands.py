"""`otel-replay test`: rerun saved regression cases and check them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from otel_replay.app.cases import CaseTestSettings, find_cases, run_cases
from otel_replay.app.models import LlmMode
from otel_replay.app.reports import check_report_path, run_reports, write_reports
from otel_replay.cli.options import console, open_cli_store, report_option, store_option
from otel_replay.core.errors import BadInputError
from otel_replay.regression.cassette import RecordMode
from otel_replay.regression.junit import junit_xml
from otel_replay.regression.shard import Shard


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--agent", default=None, help="MODULE:ATTR to test (default: each case's own agent).")
@click.option("--agent-url", default=None, help="An OpenAI-compatible endpoint to test instead.")
@click.option(
    "--llm",
    type=click.Choice([m.value for m in LlmMode], case_sensitive=False),
    default=LlmMode.HYBRID.value,
    show_default=True,
    help="Model answers: the case's cassette with misses live (hybrid), the cassette only "
    "(recorded: a changed request fails), or the live provider.",
)
@click.option(
    "--llm-upstream",
    default=None,
    metavar="URL",
    help="Where --llm hybrid sends requests the cassette lacks (default: the providers).",
)
@click.option(
    "--record-mode",
    type=click.Choice([m.value for m in RecordMode], case_sensitive=False),
    default=RecordMode.NONE.value,
    show_default=True,
    help="Write the cassette: never, append the exchanges answered live, or rewrite it all.",
)
@click.option(
    "--trials",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Run each case N times; a check fails the case only if it fails in most trials.",
)
@click.option(
    "--shard",
    default=None,
    metavar="K/N",
    help="Run only shard K of N (cases split by a stable hash of their folder name).",
)
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write JUnit XML for CI.",
)
@click.option(
    "--outcome-judge",
    default=None,
    metavar="URL",
    help="OpenAI-compatible endpoint that checks each case's expected outcome (default: "
    "$OTEL_REPLAY_OUTCOME_JUDGE, else the case's outcome_judge).",
)
@report_option
@click.option(
    "--update-baseline",
    is_flag=True,
    help="After review: make these runs the new baselines (expectations and cassette too).",
)
@store_option
def test_command(
    paths: tuple[str, ...],
    agent: str | None,
    agent_url: str | None,
    llm: str,
    llm_upstream: str | None,
    record_mode: str,
    trials: int,
    shard: str | None,
    junit_file: str | None,
    outcome_judge: str | None,
    report_file: str | None,
    update_baseline: bool,
    store_url: str,
) -> None:
    """Rerun regression cases (folders saved by `replay --save`); exit 1 if any fails."""
    if report_file:
        check_report_path(report_file)  # a bad extension fails before anything runs
    if agent and agent_url:
        raise BadInputError("give at most one of --agent MODULE:ATTR and --agent-url URL")
    settings = CaseTestSettings(
        agent=agent or agent_url,
        llm=LlmMode(llm),
        llm_upstream=llm_upstream,
        record_mode=RecordMode(record_mode),
        trials=trials,
        update_baseline=update_baseline,
        outcome_judge=outcome_judge,
    )
    cases = find_cases(paths, Shard.parse(shard) if shard else None)
    out = console()
    store = open_cli_store(store_url)
    try:
        outcome = run_cases(
            store,
            cases,
            settings,
            on_result=lambda r: out.print(r.describe(), markup=False, highlight=False),
        )
        if report_file:
            write_reports(run_reports(store, [r.run for r in outcome.results]), report_file)
    finally:
        store.close()
    if junit_file:
        Path(junit_file).write_text(junit_xml(outcome.results), encoding="utf-8")
    for change in outcome.baseline_changes:
        out.print(change.describe(), markup=False, highlight=False)
    for folder in outcome.cassettes_written:
        click.echo(f"cassette written: {folder}")
    click.echo(f"{outcome.passed} passed, {outcome.failed} failed")
    if update_baseline:
        click.echo(f"baselines updated for {len(outcome.baseline_changes)} case(s)")
    if outcome.failed and not update_baseline:
        sys.exit(1)


COMMANDS = [test_command]
