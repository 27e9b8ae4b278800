"""`otel-replay approve`: make one reviewed run a regression case's baseline."""

from __future__ import annotations

from pathlib import Path

import click

from otel_replay.app.baselines import approve
from otel_replay.cli.options import console, open_cli_store, store_option


@click.command(name="approve")
@click.argument("run_id")
@click.argument("case_dir", required=False, type=click.Path(file_okay=False))
@store_option
def approve_command(run_id: str, case_dir: str | None, store_url: str) -> None:
    """Approve a reviewed replay run as its regression case's baseline.

    Rewrites the case's baseline.json, the expectations derived from it in case.json and
    its cassette.json together, and prints per turn how the tool sequence changed. CASE_DIR
    defaults to the case under ./otel-replay-cases whose scenario the run replayed.
    """
    store = open_cli_store(store_url)
    try:
        change = approve(store, run_id, Path(case_dir) if case_dir else None)
    finally:
        store.close()
    console().print(change.describe(), markup=False, highlight=False)


COMMANDS = [approve_command]
