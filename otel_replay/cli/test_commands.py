"""`otel-replay test`: rerun saved regression cases and check them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from otel_replay.cli.options import console, open_cli_store, report_option, store_option
from otel_replay.cli.reports import write_run_report
from otel_replay.core.errors import BadInputError
from otel_replay.regression.check import CaseResult, check_case
from otel_replay.regression.files import find_case_folders, load_case, write_baseline
from otel_replay.regression.junit import junit_xml
from otel_replay.replay.agents import AgentFactory, load_agent
from otel_replay.report import read_report_format


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--agent", default=None, help="MODULE:ATTR to test (default: each case's own agent).")
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
    junit_file: str | None,
    report_file: str | None,
    update_baseline: bool,
    store_url: str,
) -> None:
    """Rerun regression cases (folders saved by `replay --save`); exit 1 if any fails."""
    if report_file:
        read_report_format(report_file)  # a bad extension fails before anything runs
    folders = find_case_folders([Path(p) for p in (paths or ("otel-replay-cases",))])
    if not folders:
        raise BadInputError(
            f"no regression cases (case.json) under {', '.join(paths) or 'otel-replay-cases'}"
        )
    cases = [load_case(folder) for folder in folders]
    factories: dict[str, AgentFactory] = {}
    results: list[CaseResult] = []
    out = console()
    store = open_cli_store(store_url)
    try:
        for loaded in cases:
            spec = agent or loaded.case.agent
            if spec is None:
                raise BadInputError(
                    f"{loaded.folder}: the case names no agent: pass --agent MODULE:ATTR"
                )
            if spec not in factories:
                factories[spec] = load_agent(spec)
            result = check_case(loaded, factories[spec], store, agent_label=spec)
            results.append(result)
            out.print(result.describe(), markup=False, highlight=False)
            if update_baseline:
                write_baseline(loaded.folder, result.run, loaded.case)
        if report_file:
            write_run_report([r.run for r in results], report_file, store)
    finally:
        store.close()
    if junit_file:
        Path(junit_file).write_text(junit_xml(results), encoding="utf-8")
    failed = sum(1 for r in results if not r.passed)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if update_baseline:
        click.echo(f"baselines updated for {len(results)} case(s)")
    if failed and not update_baseline:
        sys.exit(1)


COMMANDS = [test_command]
