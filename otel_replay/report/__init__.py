"""Pure renderers of a diff report: terminal (rich), Markdown, JSON and HTML.

`build_report` (a replay run) and `build_comparison_report` (any two sessions) turn the
diffs into a `Report`; each renderer turns reports into text. Nothing here does I/O.
"""

from otel_replay.report.build import build_comparison_report, build_report
from otel_replay.report.formats import ReportFormat, read_report_format, render_report
from otel_replay.report.html_report import render_html
from otel_replay.report.json_report import render_json
from otel_replay.report.markdown import render_markdown
from otel_replay.report.model import Report, ReportDocument, report_json_schema
from otel_replay.report.terminal import render_terminal, report_renderables

__all__ = [
    "Report",
    "ReportDocument",
    "ReportFormat",
    "build_comparison_report",
    "build_report",
    "read_report_format",
    "render_html",
    "render_json",
    "render_markdown",
    "render_report",
    "render_terminal",
    "report_json_schema",
    "report_renderables",
]
