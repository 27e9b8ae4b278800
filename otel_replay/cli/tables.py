"""Tables of store listings (sessions, traces) and the time formats they use.

Kept light (rich only): `otel-replay sessions` and `traces` start here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from otel_replay.store.base import SessionSummary, TraceSummary


def format_time(unix_nano: int) -> str:
    moment = dt.datetime.fromtimestamp(unix_nano / 1e9, tz=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def format_duration(nanos: int) -> str:
    if nanos < 0:
        return f"-{format_duration(-nanos)}"
    if nanos < 1_000_000:
        return f"{nanos / 1000:.0f}µs"
    if nanos < 1_000_000_000:
        return f"{nanos / 1e6:.1f}ms"
    return f"{nanos / 1e9:.2f}s"


def sessions_table(sessions: Sequence[SessionSummary]) -> Table:
    table = Table(title=f"{len(sessions)} session(s)")
    for column in ("session id", "turns", "traces", "spans", "first", "last", "service"):
        table.add_column(
            column,
            justify="right" if column in ("turns", "traces", "spans") else "left",
            overflow="fold",
        )
    for s in sessions:
        table.add_row(
            s.session_id,
            str(s.turn_count),
            str(s.trace_count),
            str(s.span_count),
            format_time(s.first_start_unix_nano),
            format_time(s.last_end_unix_nano),
            s.service_name,
        )
    return table


def traces_table(traces: Sequence[TraceSummary]) -> Table:
    table = Table(title=f"{len(traces)} trace(s)")
    for column in ("trace id", "session id", "root", "spans", "start", "duration", "service"):
        table.add_column(
            column,
            justify="right" if column in ("spans", "duration") else "left",
            overflow="fold",
        )
    for t in traces:
        table.add_row(
            t.trace_id,
            t.session_id,
            t.root_name or "(root not received)",
            str(t.span_count),
            format_time(t.start_time_unix_nano),
            format_duration(t.end_time_unix_nano - t.start_time_unix_nano),
            t.service_name,
        )
    return table
