"""The HTML report in a real headless Chromium: it renders, runs its script, logs nothing.

Chromium writes console messages (script errors, CSP refusals) to stderr with
`--enable-logging=stderr` as `CONSOLE` lines. Skipped only where Chromium is absent and CI
is not set; in CI (.ci/run installs it) a missing browser fails.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from otel_replay.report import build_report, render_html
from tests.report.story import original_spans, replay_spans, story_run

CHROMIUM = Path("/usr/bin/chromium")
TOOL_CHANGE = "issue_refund(order_id=123) -> check_status(order_id=123)"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class BrowserRun:
    stdout: str
    console: list[str]  # the page's console messages, from chromium's log


def _chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs the chromium package")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")


def _open(page: Path, profile: Path, *action: str) -> BrowserRun:
    result = subprocess.run(
        [
            str(_chromium()),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *action,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    console = [
        line for line in result.stderr.splitlines() if re.search(r":CONSOLE[:(]|Uncaught", line)
    ]
    return BrowserRun(result.stdout, console)


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    page = folder / "report.html"
    report = build_report(story_run(), original_spans(), replay_spans())
    page.write_text(render_html([report]), encoding="utf-8")
    return page


def test_report_renders_in_chromium_with_the_changed_tool_call_and_no_console_errors(
    report_page: Path, tmp_path: Path
) -> None:
    run = _open(report_page, tmp_path / "profile", "--dump-dom")
    assert run.console == []
    text = html.unescape(re.sub(r"<[^>]+>", "", run.stdout))
    assert TOOL_CHANGE in text
    assert "POST /billing/refunds" in text and "GET /orders/123" in text
    # The script ran: it reveals the toggle that needs it.
    assert '<label class="toggle">' in run.stdout
    assert '<label class="toggle" hidden="">' not in run.stdout


def test_report_screenshot_is_a_png(report_page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run = _open(
        report_page, tmp_path / "profile", "--window-size=1280,2000", f"--screenshot={shot}"
    )
    assert run.console == []
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000


def test_the_console_check_catches_a_script_error(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>notDefined();</script>", encoding="utf-8")
    run = _open(page, tmp_path / "profile", "--dump-dom")
    assert any("Uncaught ReferenceError" in line for line in run.console)
