"""The `otel-replay` command: a thin shell over the library. The only place that prints or exits."""

from __future__ import annotations

import importlib
import sys
from typing import Any, NamedTuple

import click

from otel_replay import __version__
from otel_replay.core.errors import BadInputError, NotFoundError, OtelReplayError


class CommandEntry(NamedTuple):
    """Where a command lives and the line `--help` lists it with."""

    module: str
    summary: str


# Commands load on demand: `otel-replay --version` or `sessions` must not pay for importing
# the replay runner, the demo or the report renderers. `summary` is the first sentence of the
# command's own help (tests/cli/test_docs.py checks they agree).
COMMAND_TABLE: dict[str, CommandEntry] = {
    "approve": CommandEntry(
        "otel_replay.cli.approve_commands",
        "Approve a reviewed replay run as its regression case's baseline.",
    ),
    "demo": CommandEntry(
        "otel_replay.cli.demo_commands",
        "Record a buggy agent, replay the bad session against the fix, diff, save, test.",
    ),
    "diff": CommandEntry(
        "otel_replay.cli.diff_commands",
        "Diff B against A: transcripts, tool calls, metrics and span trees.",
    ),
    "import": CommandEntry(
        "otel_replay.cli.ingest_commands",
        "Import OTLP trace or log requests: JSON, JSON lines, or protobuf files ('-' for stdin).",
    ),
    "model": CommandEntry(
        "otel_replay.cli.model_commands",
        "Serve a scenario's (or a case's cassette's) recorded model answers on 127.0.0.1.",
    ),
    "replay": CommandEntry(
        "otel_replay.cli.replay_commands",
        "Replay a scenario (or a stored session) against your agent, linked to the original.",
    ),
    "runs": CommandEntry(
        "otel_replay.cli.replay_commands",
        "List replay runs, newest first, or show one run.",
    ),
    "scenario": CommandEntry(
        "otel_replay.cli.session_commands",
        "Write a graph scenario file for a session, or one per trace for bulk replay.",
    ),
    "serve": CommandEntry(
        "otel_replay.cli.ingest_commands",
        "Receive OTLP traces and logs (gRPC and HTTP) into the store.",
    ),
    "session": CommandEntry(
        "otel_replay.cli.session_commands",
        "Show a session as a conversation: turns, messages, tool calls, latency and tokens.",
    ),
    "sessions": CommandEntry(
        "otel_replay.cli.store_commands",
        "List sessions, most recent first, with their turn, trace and span counts.",
    ),
    "test": CommandEntry(
        "otel_replay.cli.test_commands",
        "Rerun regression cases (folders saved by `replay --save`); exit 1 if any fails.",
    ),
    "trace": CommandEntry(
        "otel_replay.cli.store_commands",
        "Show one trace as a span tree with durations.",
    ),
    "traces": CommandEntry(
        "otel_replay.cli.store_commands",
        "List recent traces, or the traces of one session in start order.",
    ),
    "ui": CommandEntry(
        "otel_replay.cli.ui_commands",
        "Browse sessions, runs and diffs in a local web UI; approve, delete, prune, export.",
    ),
}


def load_command(name: str) -> click.Command:
    """Import the module of a command in COMMAND_TABLE and return the command."""
    module = importlib.import_module(COMMAND_TABLE[name].module)
    commands: list[click.Command] = module.COMMANDS
    for command in commands:
        if command.name == name:
            return command
    raise LookupError(f"{COMMAND_TABLE[name].module} has no command {name!r} in COMMANDS")


class CliGroup(click.Group):
    """Loads commands on demand from COMMAND_TABLE; turns library errors into one-line
    messages and exit codes (2 bad input, 1 failure)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_TABLE, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_TABLE:
            self.add_command(load_command(cmd_name))
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing reads the table, so `--help` imports no command module.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is None:
                loaded = click.Command(name, help=COMMAND_TABLE[name].summary)
            if not loaded.hidden:
                rows.append((name, loaded.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (BadInputError, NotFoundError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except OtelReplayError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=CliGroup)
@click.version_option(__version__, prog_name="otel-replay")
def cli() -> None:
    """Replay production AI-agent sessions from OpenTelemetry traces."""


def main() -> None:
    cli(prog_name="otel-replay")
