"""Options shared by commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

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
