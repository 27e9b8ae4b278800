"""Jinja filters: times, durations, short ids and JSON as the pages show them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from jinja2 import Environment

from otel_replay.core.values import to_json_data

SHORT_ID = 8


def format_time(unix_nano: int | None) -> str:
    if not unix_nano:
        return ""
    moment = datetime.fromtimestamp(unix_nano / 1e9, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + "Z"


def format_ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def format_nano_ms(unix_nano: int | None) -> str:
    return "" if unix_nano is None else format_ms(unix_nano / 1e6)


def short_id(value: str | None, length: int = SHORT_ID) -> str:
    """A prefix of an id (the full id goes in the copy button and the title)."""
    if not value:
        return ""
    return value if len(value) <= length + 3 else value[:length] + "…"


def format_json(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(to_json_data(value), indent=1, ensure_ascii=False, sort_keys=True)


def format_number(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return f"{int(value):,}"


def format_percent(value: float | None) -> str:
    return "" if value is None else f"{value:+.0f}%"


def install_filters(environment: Environment) -> None:
    environment.filters.update(
        time=format_time,
        ms=format_ms,
        nano_ms=format_nano_ms,
        short=short_id,
        json=format_json,
        number=format_number,
        percent=format_percent,
    )
