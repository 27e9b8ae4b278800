"""`otel-replay diff A [B]`: compare two sessions, traces or replay runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from otel_replay.app.sessions import load_conversation, load_trace_conversation
from otel_replay.cli.options import (
    console,
    json_option,
    open_cli_store,
    report_option,
    store_option,
)
from otel_replay.cli.reports import load_run_report
from otel_replay.core.errors import BadInputError, NotFoundError
from otel_replay.core.records import Span
from otel_replay.core.runs import ReplayRun
from otel_replay.replay.runner import load_run
from otel_replay.report import (
    Report,
    build_comparison_report,
    read_report_format,
    render_json,
    render_report,
    report_renderables,
)
from otel_replay.semconv.model import Conversation
from otel_replay.store.base import SpanStore


@dataclass(frozen=True)
class _Recording:
    """A session or a trace as one side of a comparison."""

    conversation: Conversation
    spans: list[Span]


def _resolve(store: SpanStore, identifier: str) -> ReplayRun | _Recording:
    """A replay run id, else a trace id, else a session id."""
    record = store.get_run(identifier)
    if record is not None:
        return load_run(record)
    if store.get_trace(identifier) is not None:
        return _Recording(load_trace_conversation(store, identifier), store.get_spans([identifier]))
    try:
        conversation = load_conversation(store, identifier)
    except NotFoundError:
        raise NotFoundError(
            f"{identifier!r} is no replay run, trace or session in the store"
        ) from None
    return _Recording(conversation, store.get_spans(list(conversation.trace_ids)))


def _as_recording(store: SpanStore, side: ReplayRun | _Recording) -> _Recording:
    if isinstance(side, _Recording):
        return side
    # A run stands for the session its replay recorded.
    return _Recording(load_conversation(store, side.session_id), store.get_spans(side.trace_ids))


def _build(store: SpanStore, first: str, second: str | None) -> Report:
    a = _resolve(store, first)
    if second is None:
        if not isinstance(a, ReplayRun):
            raise BadInputError(
                f"{first!r} is not a replay run: give two sessions or traces to compare, "
                "or one replay run id to compare it with the session it replayed"
            )
        return load_run_report(a, store)
    b = _resolve(store, second)
    # A run named next to the session it replayed: the run's own report says the most.
    if isinstance(a, ReplayRun) and a.original_session_id == second:
        return load_run_report(a, store)
    if isinstance(b, ReplayRun) and b.original_session_id == first:
        return load_run_report(b, store)
    original, replay = _as_recording(store, a), _as_recording(store, b)
    return build_comparison_report(
        original.conversation,
        replay.conversation,
        original.spans,
        replay.spans,
        labels=("A", "B"),
    )


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
    report_format = read_report_format(report_file) if report_file else None
    store = open_cli_store(store_url)
    try:
        report = _build(store, first, second)
    finally:
        store.close()
    if report_file and report_format is not None:
        Path(report_file).write_text(render_report([report], report_format), encoding="utf-8")
    if as_json:
        click.echo(render_json([report]), nl=False)
    else:
        out = console()
        for renderable in report_renderables([report]):
            out.print(renderable)
    if report_file:
        click.echo(f"report written to {report_file}", err=as_json)


COMMANDS = [diff]
