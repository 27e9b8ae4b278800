"""Attribute keys of the conventions we read are spelled once, in `otel_replay/semconv/`.

Everything else imports the named constant, so a renamed or added key changes in one place.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import otel_replay

PACKAGE = Path(otel_replay.__file__).resolve().parent
SEMCONV = PACKAGE / "semconv"

# A string literal that is exactly such a key (or a key prefix ending in a dot). Text that
# merely mentions a key (docstrings, messages) has spaces and does not match.
_KEY = re.compile(
    r"""
    (?:gen_ai|llm|openinference|ai|langfuse|langsmith|traceloop|lk|fi|embedding|crewai
       |pydantic_ai|logfire)\.[A-Za-z0-9_.]*
    | otel_replay\.(?:link|run|turn|original|tool|scenario)(?:\.[A-Za-z0-9_.]*)?
    | (?:session|user|enduser|conversation)\.id
    | (?:input|output)\.value
    | tool(?:_call)?\.(?:name|id|description|parameters)
    | raw\.(?:input|output)
    | metrics\.ttfb
    """,
    re.VERBOSE,
)

# Spellings still to move into semconv, as (path, key): remove each entry once moved.
_NOT_YET_MOVED = {("otel_replay/demo/record.py", "session.id")}


def find_key_literals(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every string constant in `source` that is an attribute key."""
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _KEY.fullmatch(node.value)
    )


def test_the_scan_finds_keys_and_key_prefixes_but_not_text_mentioning_them() -> None:
    source = (
        'A = {"gen_ai.tool.name": 1, "session.id": 2}\n'
        'B = ("llm.token_count.", "otel_replay.link.type", "output.value")\n'
        '"""Reads `gen_ai.tool.name` and session.id."""\n'
        'C = ("otel_replay.demo.record", f"otel_replay.turn {1}", "span.name", "chat")\n'
    )
    assert [key for _, key in find_key_literals(source)] == [
        "gen_ai.tool.name",
        "session.id",
        "llm.token_count.",
        "otel_replay.link.type",
        "output.value",
    ]


def test_attribute_keys_are_spelled_only_in_semconv() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {key!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if SEMCONV not in path.parents
        for line, key in find_key_literals(path.read_text(encoding="utf-8"))
        if (str(path.relative_to(PACKAGE.parent)), key) not in _NOT_YET_MOVED
    ]
    assert not found, "attribute keys outside otel_replay/semconv/ (import the constant):\n" + (
        "\n".join(found)
    )
