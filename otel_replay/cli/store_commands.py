"""Commands that read the store: `sessions`, `traces`, `trace`."""

from __future__ import annotations

import click

from otel_replay.cli.options import (
    console,
    grouping_options,
    grouping_policy,
    json_option,
    open_cli_store,
    print_json,
    store_option,
)
from otel_replay.core.errors import NotFoundError

# Each command imports what only it needs when it runs (`otel-replay sessions` is a start-up
# benchmark: bench/startup.py).


@click.command()
@store_option
@json_option
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@grouping_options
def sessions(
    store_url: str, as_json: bool, limit: int, group_by: str, idle_gap_minutes: float
) -> None:
    """List sessions, most recent first, with their turn, trace and span counts."""
    from otel_replay.app.sessions import list_sessions
    from otel_replay.cli.tables import sessions_table

    store = open_cli_store(store_url)
    try:
        found = list_sessions(store, limit, grouping_policy(group_by, idle_gap_minutes))
    finally:
        store.close()
    if as_json:
        print_json(found)
    else:
        console().print(sessions_table(found))


@click.command()
@store_option
@json_option
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--session", "session_id", default=None, help="Only the traces of this session.")
def traces(store_url: str, as_json: bool, limit: int, session_id: str | None) -> None:
    """List recent traces, or the traces of one session in start order."""
    from otel_replay.cli.tables import traces_table

    store = open_cli_store(store_url)
    try:
        found = store.list_traces(limit, session_id=session_id)
    finally:
        store.close()
    if as_json:
        print_json(found)
    else:
        console().print(traces_table(found))


@click.command()
@click.argument("trace_id")
@store_option
@json_option
def trace(trace_id: str, store_url: str, as_json: bool) -> None:
    """Show one trace as a span tree with durations."""
    from otel_replay.cli.render import span_tree, trace_json
    from otel_replay.session.trace_tree import build_trace_trees

    trace_id = trace_id.lower()
    store = open_cli_store(store_url)
    try:
        spans = store.get_spans([trace_id])
    finally:
        store.close()
    if not spans:
        raise NotFoundError(f"no trace {trace_id} in the store")
    (tree,) = build_trace_trees(spans)
    if as_json:
        print_json(trace_json(tree))
    else:
        console().print(span_tree(tree))


COMMANDS = [sessions, traces, trace]
