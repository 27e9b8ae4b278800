"""Every renderer against its golden file, the JSON against the schema, and escaping.

Regenerate the golden files after an intended change with
`OTEL_REPLAY_UPDATE_GOLDEN=1 pytest tests/report`, then review their diff.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import jsonschema
import pytest
from rich.cells import cell_len

from otel_replay.core.errors import BadInputError
from otel_replay.report import (
    Report,
    ReportDocument,
    ReportFormat,
    build_report,
    read_report_format,
    render_html,
    render_json,
    render_markdown,
    render_report,
    render_terminal,
)
from otel_replay.report.markdown import code_span, escape_markdown
from tests.report.story import original_spans, replay_spans, story_run

GOLDEN = Path(__file__).resolve().parent / "golden"
SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json"
TOOL_CHANGE = "turn 4: issue_refund(order_id=123) -> check_status(order_id=123)"
UPDATE = os.environ.get("OTEL_REPLAY_UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    """Compare `text` with golden/NAME; with OTEL_REPLAY_UPDATE_GOLDEN=1, (re)write it."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with OTEL_REPLAY_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def story_report() -> Report:
    trials = [
        story_run("trial-1"),
        story_run("trial-2", delay_ms=40),
        story_run("trial-3", delay_ms=-30),
    ]
    return build_report(story_run(), original_spans(), replay_spans(), trials)


RENDERERS: dict[str, Callable[[Sequence[Report]], str]] = {
    "story.txt": render_terminal,
    "story.md": render_markdown,
    "story.json": render_json,
    "story.html": render_html,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_renderer_output_equals_its_golden_file(name: str) -> None:
    text = RENDERERS[name]([story_report()])
    assert TOOL_CHANGE in text or TOOL_CHANGE.replace(">", "&gt;") in text
    check_golden(name, text)


def test_terminal_report_fits_100_columns_and_puts_both_sides_on_one_line() -> None:
    text = render_terminal([story_report()])
    lines = text.splitlines()
    assert all(cell_len(line) <= 100 for line in lines), max(lines, key=cell_len)
    header = next(
        line for line in lines if "original" in line and "replay" in line and "user" in line
    )
    assert header.index("original") < header.index("replay")
    refund = next(line for line in lines if "- issue_refund(order_id=123)" in line)
    assert "+ check_status(order_id=123)" in refund  # the changed call, side by side
    assert "[-I have refunded order 123.-]" in text
    assert "{+Order 123 is in transit," in text
    assert "\x1b[" not in text


def test_terminal_report_stays_within_a_narrow_width_too() -> None:
    text = render_terminal([story_report()], width=80)
    assert all(cell_len(line) <= 80 for line in text.splitlines())


def test_json_report_validates_against_the_committed_schema_and_round_trips() -> None:
    text = render_json([story_report()])
    document = json.loads(text)
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(document)
    assert document["kind"] == "otel-replay/report" and document["version"] == 1
    (report,) = document["reports"]
    assert report["summary"]["first_divergent_turn"] == 4
    assert report["summary"]["tool_changes"] == [TOOL_CHANGE]
    assert ReportDocument.model_validate_json(text).reports == [story_report()]


def test_schema_rejects_a_report_missing_its_span_tree() -> None:
    document = json.loads(render_json([story_report()]))
    del document["reports"][0]["span_tree"]
    with pytest.raises(jsonschema.ValidationError, match="span_tree"):
        jsonschema.validate(document, json.loads(SCHEMA.read_text()))


def test_markdown_report_leads_with_the_summary_and_collapses_the_span_tree() -> None:
    text = render_markdown([story_report()])
    lines = text.splitlines()
    assert lines[0] == "## otel-replay: replay run-7f3a9c of support-session-003"
    assert lines[4].startswith("**1 of 5 turn(s) changed · first divergent turn 4")
    assert "**First divergent turn: 4** (changed): It's late, where is order 123?" in lines
    assert f"- `{TOOL_CHANGE}`" in lines
    assert "| latency (ms) | 6450 | 6750 | +300 | +4.7% |" in lines
    assert "| `reply_similarity` | 4 | ❌ **fail** | 0.5 |" in text
    span_tree = text.split("<details><summary>Span-tree diff:", 1)[1].split("</details>", 1)[0]
    assert "```diff" in span_tree
    assert "-     POST /billing/refunds" in span_tree
    assert "+     GET /orders/123" in span_tree


def _hostile_report() -> Report:
    run = story_run()
    hostile = "<script>alert('x')</script> | **bold** `tick` & [link](http://example.com)"
    turns = list(run.turns)
    turns[3] = turns[3].model_copy(update={"user": hostile})
    return build_report(run.model_copy(update={"turns": turns}), original_spans(), replay_spans())


def test_html_report_escapes_recorded_text_and_loads_nothing_from_the_network() -> None:
    text = render_html([_hostile_report()])
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert text.count("<script>") == 1  # the report's own few lines
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    assert "default-src 'none'" in text


def test_html_report_marks_spans_and_the_changed_tool_call() -> None:
    text = render_html([story_report()])
    assert '<tr class="span removed"><td class="side original" style="--depth:2">' in text
    assert '<tr class="span added"><td class="side original"></td>' in text
    assert text.count('<tr class="span changed">') == 3
    assert '<li class="tool removed original">issue_refund(order_id=123)</li>' in text
    assert '<li class="tool added replay">check_status(order_id=123)</li>' in text
    assert "<del>I have refunded order 123.</del>" in text


def test_markdown_escapes_recorded_text_in_tables() -> None:
    text = render_markdown([_hostile_report()])
    assert "<script>" not in text
    assert r"&lt;script&gt;alert('x')&lt;/script&gt; \| \*\*bold\*\* \`tick\` &amp;" in text
    assert escape_markdown("check_status _x_") == r"check_status \_x\_"
    assert code_span("a | `b`") == r"`` a \| `b` ``"


def test_several_runs_make_one_document_with_a_report_each() -> None:
    reports = [story_report(), build_report(story_run("run-2"), original_spans(), replay_spans())]
    document = ReportDocument.model_validate_json(render_json(reports))
    assert [r.identity.run_id for r in document.reports] == ["run-7f3a9c", "run-2"]
    markdown = render_markdown(reports)
    assert markdown.count("## otel-replay: replay ") == 2 and "\n---\n" in markdown
    html = render_html(reports)
    assert 'href="#report-2"' in html and 'id="report-2"' in html
    assert render_terminal(reports).count("replay run-2 of support-session-003") == 1


def test_report_format_follows_the_extension_and_an_unknown_one_lists_the_valid() -> None:
    assert read_report_format("out/Report.HTML") is ReportFormat.HTML
    assert read_report_format("r.md") is ReportFormat.MARKDOWN
    with pytest.raises(
        BadInputError, match=r"'\.pdf'; valid extensions: \.md, \.json, \.html, \.txt"
    ):
        read_report_format("report.pdf")
    with pytest.raises(BadInputError, match="no extension"):
        read_report_format("report")
    with pytest.raises(BadInputError, match="nothing to report"):
        render_report([], ReportFormat.JSON)
