"""`otel-replay demo`: the whole story in one command, offline."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from rich.rule import Rule

from otel_replay.cli.options import console
from otel_replay.cli.render import conversation_view, replay_table
from otel_replay.cli.tables import sessions_table
from otel_replay.core.runs import ReplayRun
from otel_replay.demo.story import DemoView, run_demo
from otel_replay.semconv.model import Conversation
from otel_replay.store import SessionSummary


@click.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the demo keeps its store and regression case (default: a new temp folder).",
)
def demo(workdir: str | None) -> None:
    """Record a buggy agent, replay the bad session against the fix, diff, save, test."""
    out = console()

    def show(title: str, data: DemoView) -> None:
        out.print(Rule(title, align="left"))
        if isinstance(data, Conversation):
            for block in conversation_view(data):
                out.print(block)
        elif isinstance(data, ReplayRun):
            out.print(replay_table(data))
        elif isinstance(data, str):
            out.print(data, markup=False, highlight=False)
        else:
            summaries = [item for item in data if isinstance(item, SessionSummary)]
            if summaries:
                out.print(sessions_table(summaries))
            for line in data:
                if isinstance(line, str):
                    out.print(f"  {line}", markup=False, highlight=False)

    folder = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="otel-replay-demo-"))
    result = run_demo(folder, show)
    out.print(Rule("done", align="left"))
    out.print(
        f"store {result.store_url}\nregression case {result.case_folder}\n"
        f"try: otel-replay sessions --store {result.store_url}\n"
        f"     otel-replay test {result.case_folder.parent} --store {result.store_url}",
        markup=False,
        highlight=False,
    )
    if not result.as_expected:
        sys.exit(1)


COMMANDS = [demo]
