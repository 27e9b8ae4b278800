"""The JSON report: a `ReportDocument`, as schemas/report.schema.json describes it."""

from __future__ import annotations

from collections.abc import Sequence

from otel_replay.report.model import Report, ReportDocument

__all__ = ["render_json"]


def render_json(reports: Sequence[Report]) -> str:
    """The reports as one JSON document, indented, ending in a newline."""
    return ReportDocument(reports=list(reports)).model_dump_json(indent=2) + "\n"
