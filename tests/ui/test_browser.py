"""The web UI in a real headless Chromium (Playwright driving /usr/bin/chromium; no browser
download): search, a session's tool calls, a replay's diff, approve, delete, live rows, and
no console errors on any page.

The store is the demo's: the buggy agent's three sessions, a replay of support-session-003
against the fix (it diverges at turn 4), its regression case, and the case's two test runs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from otel_replay.demo.story import INCIDENT, DemoResult, run_demo
from otel_replay.receiver.serve import Endpoint
from otel_replay.store import open_store
from otel_replay.ui.app import UiSettings
from otel_replay.ui.security import Access
from otel_replay.ui.server import UiListen, UiServer

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
THIRD_TURN_PHRASE = "status of order 123"  # support-session-003, turn 3
UI_WAIT_MS = 15_000  # the longest any one step may take before the test fails


def _chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs the chromium package")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")


@dataclass(frozen=True)
class Site:
    url: str
    demo: DemoResult
    cases: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("ui-demo")
    demo = run_demo(workdir, lambda title, view: None)
    store = open_store(demo.store_url)
    server = UiServer(
        UiSettings(store, cases_dir=workdir / "cases", access=Access(), live_seconds=1.0),
        UiListen(Endpoint("127.0.0.1", 0)),
    )
    try:
        yield Site(f"http://127.0.0.1:{server.endpoint.port}", demo, workdir / "cases")
    finally:
        server.stop()
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(_chromium()), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; the test fails if any page it opened logged a console error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(UI_WAIT_MS)
    errors: list[str] = []
    opened.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("dialog", lambda dialog: dialog.accept())
    yield opened
    context.close()
    assert errors == []


def _listed_sessions(page: Any) -> list[str]:
    rows = page.locator("#session-rows tr[data-session]")
    return [rows.nth(i).get_attribute("data-session") for i in range(rows.count())]


def test_search_finds_a_session_by_a_phrase_from_its_third_turn(site: Site, page: Any) -> None:
    page.goto(f"{site.url}/sessions")
    assert INCIDENT in _listed_sessions(page)
    assert not any(s.startswith("replay-") for s in _listed_sessions(page))
    page.fill("input[name=q]", THIRD_TURN_PHRASE.upper())
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/sessions?q=*")
    assert _listed_sessions(page) == [INCIDENT]


def test_session_page_shows_its_tool_calls_and_a_click_opens_the_replays_diff(
    site: Site, page: Any
) -> None:
    page.goto(f"{site.url}/sessions")
    page.click(f"tr[data-session='{INCIDENT}'] .id a")
    page.wait_for_selector("ol.conversation")
    tools = page.locator(".tool-call .tool-name").all_inner_texts()
    assert "issue_refund" in tools and "check_status" in tools
    assert "order_id" in page.locator(".tool-call .args").first.inner_text()
    run_id = site.demo.run.run_id
    page.click(f"a.open-diff[href$='{run_id}']")
    page.wait_for_selector("table.transcript")
    divergent = page.locator("tr.first-divergent")
    assert divergent.count() == 1
    assert divergent.get_attribute("id") == "turn-4"
    assert "first divergence" in divergent.inner_text()
    background = divergent.locator("td").first.evaluate(
        "cell => getComputedStyle(cell).backgroundColor"
    )
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert "issue_refund(order_id=123) -> check_status(order_id=123)" in page.inner_text(
        ".tool-changes"
    )


def test_span_diff_links_to_the_replay_span_which_links_back_to_its_original(
    site: Site, page: Any
) -> None:
    page.goto(f"{site.url}/run?id={site.demo.run.run_id}")
    # Model-call spans of a replay link to the calls they replayed.
    replay_link = page.locator("table.span-diff a[id^='r-']", has_text="chat").first
    replay_span = (replay_link.get_attribute("id") or "")[2:]
    replay_link.click()
    page.wait_for_selector(f"#span-{replay_span}.target")
    page.click(f"#span-{replay_span} a.span-link")
    page.wait_for_selector("tr.span-row.target")
    backlinks = page.locator("tr.span-row.target a.span-backlink")
    # Every replay of the session links here: this one among them.
    hrefs = [backlinks.nth(i).get_attribute("href") for i in range(backlinks.count())]
    assert any(href.endswith(f"#span-{replay_span}") for href in hrefs)


def test_approve_updates_the_case_on_disk(site: Site, page: Any) -> None:
    case = site.demo.case_folder
    baseline = json.loads((case / "baseline.json").read_text(encoding="utf-8"))
    store = open_store(site.demo.store_url)
    try:
        other = next(
            r.run_id
            for r in store.list_runs(50)
            if r.run_id != baseline["run_id"] and r.scenario_name == INCIDENT
        )
    finally:
        store.close()
    page.goto(f"{site.url}/runs")
    page.click(f"tr[data-run='{other}'] .id a")
    page.click("form.approve button[type=submit]")
    page.wait_for_selector("pre.notice")
    assert f"-> {other}" in page.inner_text("pre.notice")
    approved = json.loads((case / "baseline.json").read_text(encoding="utf-8"))
    assert approved["run_id"] == other


def test_delete_removes_the_session_from_the_store(site: Site, page: Any) -> None:
    victim = "support-session-001"
    page.goto(f"{site.url}/session?id={victim}")
    page.click("form[action='/session/delete'] button")
    page.wait_for_selector("pre.notice")
    assert victim not in _listed_sessions(page)
    store = open_store(site.demo.store_url)
    try:
        assert store.list_traces(10, session_id=victim) == []
        assert victim not in {s.session_id for s in store.list_sessions(100)}
    finally:
        store.close()


def test_a_new_session_appears_without_a_reload(site: Site, page: Any) -> None:
    from otel_replay.app.housekeeping import export_session_otlp_json
    from otel_replay.importer import import_data

    page.goto(f"{site.url}/sessions")
    page.evaluate("window.notReloaded = true")
    store = open_store(site.demo.store_url)
    try:
        exported = export_session_otlp_json(store, "support-session-002").decode()
        # New trace ids: the same spans under other ids are new spans, in a new session.
        for trace_id in set(re.findall(r'"traceId":"([0-9a-f]{32})"', exported)):
            exported = exported.replace(trace_id, trace_id[::-1])
        renamed = exported.replace("support-session-002", "support-session-new")
        import_data(store, [("new.json", renamed.encode())])
    finally:
        store.close()
    page.wait_for_selector("tr[data-session='support-session-new']")
    assert page.evaluate("window.notReloaded") is True
