"""Options shared by commands."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from otel_replay.session.grouping import GroupBy, GroupingPolicy
from otel_replay.store import DEFAULT_STORE_URL

if TYPE_CHECKING:
    from pydantic import JsonValue
    from rich.console import Console

    from otel_replay.store import SqlSpanStore

# rich, the renderers and the SQL store are imported where they are used: every command module
# imports this one, and `otel-replay --help` or a `--json` listing need none of them.

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
    from otel_replay.store import open_store

    return open_store(store_url)


def console() -> Console:
    """Rich console: the terminal's width, or 120 columns when output is not a terminal."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 120)


_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _finite(data: JsonValue) -> JsonValue:
    if isinstance(data, float) and not math.isfinite(data):
        return _NON_FINITE[repr(data)]
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_finite(value) for value in data]
    return data


def print_json(data: Any) -> None:
    """Print `--json` output: always valid JSON (RFC 8259 has no NaN or Infinity), so a float
    attribute that is NaN, Infinity or -Infinity is printed as that string."""
    from otel_replay.core.values import to_json_data

    click.echo(
        json.dumps(_finite(to_json_data(data)), indent=2, ensure_ascii=False, allow_nan=False)
    )


def grouping_options(func: F) -> F:
    """`--group-by` and `--idle-gap`: how traces without a session key form sessions."""
    func = click.option(
        "--idle-gap",
        "idle_gap_minutes",
        type=click.FloatRange(min=0, min_open=True),
        default=30.0,
        show_default=True,
        help="With --group-by service-user-gap: minutes of silence that start a new session.",
    )(func)
    return click.option(
        "--group-by",
        "group_by",
        type=click.Choice([g.value for g in GroupBy]),
        default=GroupBy.TRACE.value,
        show_default=True,
        help="Traces with no session key: one session each (trace), or grouped by service, "
        "user and idle gap (service-user-gap).",
    )(func)


def grouping_policy(group_by: str, idle_gap_minutes: float) -> GroupingPolicy:
    return GroupingPolicy(GroupBy(group_by), int(idle_gap_minutes * 60 * 1_000_000_000))


def report_option(func: F) -> F:
    """`--report FILE`: a report file, its format from the extension."""
    return click.option(
        "--report",
        "report_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="Write a report file: .md, .json, .html or .txt.",
    )(func)
