"""Options shared by commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from otel_replay.cli.render import jsonable
from otel_replay.store import DEFAULT_STORE_URL, SqlSpanStore, open_store

F = TypeVar("F", bound=Callable[..., Any])


def store_option(func: F) -> F:
    """`--store URL`, also from OTEL_REPLAY_STORE."""
    return click.option(
        "--store",
        "store_url",
        envvar="OTEL_REPLAY_STORE",
        default=DEFAULT_STORE_URL,
        show_default=True,
        help="Store URL: sqlite:///PATH or postgresql://... (env OTEL_REPLAY_STORE).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )


def open_cli_store(store_url: str) -> SqlSpanStore:
    return open_store(store_url)


def console() -> Console:
    """Rich console: the terminal's width, or 120 columns when output is not a terminal."""
    return Console(width=None if sys.stdout.isatty() else 120)


def print_json(data: Any) -> None:
    click.echo(json.dumps(jsonable(data), indent=2, ensure_ascii=False))
