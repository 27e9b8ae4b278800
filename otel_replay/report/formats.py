"""Which renderer a report file gets: chosen by the file's extension."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import PurePath

from otel_replay.core.errors import BadInputError
from otel_replay.report.html_report import render_html
from otel_replay.report.json_report import render_json
from otel_replay.report.markdown import render_markdown
from otel_replay.report.model import Report
from otel_replay.report.terminal import render_terminal

__all__ = ["ReportFormat", "read_report_format", "render_report"]


class ReportFormat(StrEnum):
    """A report file format, named by its extension."""

    MARKDOWN = ".md"
    JSON = ".json"
    HTML = ".html"
    TEXT = ".txt"  # the terminal report, 100 columns, no colour


_RENDERERS: dict[ReportFormat, Callable[[Sequence[Report]], str]] = {
    ReportFormat.MARKDOWN: render_markdown,
    ReportFormat.JSON: render_json,
    ReportFormat.HTML: render_html,
    ReportFormat.TEXT: render_terminal,
}


def read_report_format(path: str | PurePath) -> ReportFormat:
    """The format a report file's extension names; BadInputError lists the valid ones."""
    suffix = PurePath(path).suffix.lower()
    try:
        return ReportFormat(suffix)
    except ValueError:
        valid = ", ".join(f.value for f in ReportFormat)
        shown = f"extension {suffix!r}" if suffix else "no extension"
        raise BadInputError(
            f"report file {str(path)!r} has {shown}; valid extensions: {valid}"
        ) from None


def render_report(reports: Sequence[Report], report_format: ReportFormat) -> str:
    """The reports as the text of one file of this format."""
    if not reports:
        raise BadInputError("nothing to report: no runs or comparisons")
    return _RENDERERS[report_format](reports)
