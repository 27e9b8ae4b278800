"""Take the README's screenshots of the web UI: the demo's store, served by `otel-replay ui`
in this process, photographed by the system's headless Chromium (Playwright).

    python docs/ui/screenshots.py            # writes docs/ui/*.png
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

from otel_replay.app.browse import index_trace_facts
from otel_replay.demo.story import INCIDENT, run_demo
from otel_replay.receiver.serve import Endpoint
from otel_replay.store import open_store
from otel_replay.ui.app import UiSettings
from otel_replay.ui.server import UiListen, UiServer

HERE = Path(__file__).resolve().parent


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="otel-replay-ui-"))
    demo = run_demo(workdir, lambda title, view: None)
    store = open_store(demo.store_url)
    index_trace_facts(store)  # the list's marks (tools, errors), as `otel-replay ui` keeps them
    server = UiServer(
        UiSettings(store, cases_dir=workdir / "cases"), UiListen(Endpoint("127.0.0.1", 0))
    )
    base = f"http://127.0.0.1:{server.endpoint.port}"
    first_trace = store.list_traces(1, session_id=INCIDENT)[0].trace_id
    pages = {
        "sessions.png": ("/sessions", None),
        "search.png": ("/sessions?" + urlencode({"q": "status of order 123"}), None),
        "session.png": ("/session?" + urlencode({"id": INCIDENT}), None),
        "run.png": ("/run?" + urlencode({"id": demo.run.run_id}), "table.span-diff"),
        "trace.png": (f"/trace?id={first_trace}", None),
    }
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            for name, (path, _) in pages.items():
                page.goto(base + path)
                page.screenshot(path=str(HERE / name), full_page=name != "session.png")
                print(f"wrote {HERE / name}")
            browser.close()
    finally:
        server.stop()
        store.close()


if __name__ == "__main__":
    main()
