"""`otel-replay test`: rerun saved regression cases and check them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from otel_replay.app.cases import find_cases, run_cases
from otel_replay.app.reports import check_report_path, run_reports, write_reports
from otel_replay.cli.options import console, open_cli_store, report_option, store_option
from otel_replay.core.errors import BadInputError
from otel_replay.regression.junit import junit_xml


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--agent", default=None, help="MODULE:ATTR to test (default: each case's own agent).")
@click.option("--agent-url", default=None, help="An OpenAI-compatible endpoint to test instead.")
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write JUnit XML for CI.",
)
@report_option
@click.option(
    "--update-baseline",
    is_flag=True,
    help="After review: make these runs the new approved baselines.",
)
@store_option
def test_command(
    paths: tuple[str, ...],
    agent: str | None,
    agent_url: str | None,
    junit_file: str | None,
    report_file: str | None,
    update_baseline: bool,
    store_url: str,
) -> None:
    """Rerun regression cases (folders saved by `replay --save`); exit 1 if any fails."""
    if report_file:
        check_report_path(report_file)  # a bad extension fails before anything runs
    if agent and agent_url:
        raise BadInputError("give at most one of --agent MODULE:ATTR and --agent-url URL")
    cases = find_cases(paths)
    out = console()
    store = open_cli_store(store_url)
    try:
        outcome = run_cases(
            store,
            cases,
            agent=agent or agent_url,
            update_baseline=update_baseline,
            on_result=lambda r: out.print(r.describe(), markup=False, highlight=False),
        )
        if report_file:
            write_reports(run_reports(store, [r.run for r in outcome.results]), report_file)
    finally:
        store.close()
    if junit_file:
        Path(junit_file).write_text(junit_xml(outcome.results), encoding="utf-8")
    click.echo(f"{outcome.passed} passed, {outcome.failed} failed")
    if update_baseline:
        click.echo(f"baselines updated for {len(outcome.results)} case(s)")
    if outcome.failed and not update_baseline:
        sys.exit(1)


COMMANDS = [test_command]
