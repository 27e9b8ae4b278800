"""CrewAI: its model calls see the task through a prompt template
(`Current Task: <description>` and the expected output's criteria), so the user's own words
are the task's description, as CrewAI's native tracing and OpenInference record it.
"""

from __future__ import annotations

from otel_replay.core.records import Span
from otel_replay.semconv.attributes import CrewAI, OpenInference
from otel_replay.semconv.values import as_str, json_object


def task_description(span: Span) -> str | None:
    """The task a CrewAI span ran: native `crewai.task.description`, or the `description`
    of the TaskOutput an OpenInference CrewAI span returned; None for any other span."""
    native = as_str(span.attributes.get(CrewAI.TASK_DESCRIPTION))
    if native is not None:
        return native
    if span.scope.name != CrewAI.OPENINFERENCE_SCOPE:
        return None
    output = json_object(span.attributes.get(OpenInference.OUTPUT_VALUE))
    if output is None or "expected_output" not in output:
        return None
    return as_str(output.get("description"))
