"""`otel-replay diff A [B]`: compare two sessions, traces or replay runs."""

from __future__ import annotations

import sys

import click

from otel_replay.app.reports import (
    check_report_path,
    compare,
    write_reports,
)
from otel_replay.cli.options import (
    console,
    json_option,
    open_cli_store,
    report_option,
    store_option,
)
from otel_replay.report import render_json, report_renderables


@click.command()
@click.argument("first", metavar="A")
@click.argument("second", metavar="[B]", required=False)
@report_option
@store_option
@json_option
def diff(
    first: str, second: str | None, report_file: str | None, store_url: str, as_json: bool
) -> None:
    """Diff B against A: transcripts, tool calls, metrics and span trees.

    A and B are replay run ids, trace ids or session ids (tried in that order). With a
    replay run id alone, the run is compared with the session it replayed.
    """
    if report_file:
        check_report_path(report_file)  # a bad extension fails before anything is loaded
    store = open_cli_store(store_url)
    try:
        comparison = compare(store, first, second)
    finally:
        store.close()
    report = comparison.report
    if report_file:
        write_reports([report], report_file)
    if as_json:
        click.echo(render_json([report]), nl=False)
    else:
        out = console()
        for renderable in report_renderables([report]):
            out.print(renderable)
    if report_file:
        click.echo(f"report written to {report_file}", err=as_json)
    if not comparison.passed:
        sys.exit(1)


COMMANDS = [diff]
