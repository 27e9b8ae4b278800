"""The `otel-replay` command: a thin shell over the library. The only place that prints or exits."""

from __future__ import annotations

import sys
from typing import Any

import click

from otel_replay import __version__
from otel_replay.core.errors import BadInputError, NotFoundError, OtelReplayError


class CliGroup(click.Group):
    """Turns library errors into one-line messages and exit codes (2 bad input, 1 failure)."""

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


def _register() -> None:
    from otel_replay.cli import (
        demo_commands,
        diff_commands,
        ingest_commands,
        replay_commands,
        session_commands,
        store_commands,
        test_commands,
    )

    for module in (
        ingest_commands,
        store_commands,
        session_commands,
        replay_commands,
        diff_commands,
        test_commands,
        demo_commands,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="otel-replay")
