"""Pure: the words the shutdown and import summaries use for what was redacted."""

from __future__ import annotations

from otel_replay.otlp.redact import Redactor


def describe_redactions(redactor: Redactor) -> str:
    """`3 values redacted (authorization 1, openai-key 2)`, or `redaction off`."""
    if not redactor.enabled:
        return "redaction off"
    counts = dict(sorted(redactor.counts.items()))
    total = sum(counts.values())
    kinds = ", ".join(f"{kind} {n}" for kind, n in counts.items())
    return f"{total} values redacted" + (f" ({kinds})" if kinds else "")
