"""The web UI: server-rendered pages over the application layer (Starlette + Jinja2).

Every page reads the store through `otel_replay.app`; nothing here decides what a session,
a run or a comparison is. Handlers are plain functions Starlette runs in its thread pool
(the store serialises access itself).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from otel_replay.app.baselines import DEFAULT_CASES_FOLDER, approve, find_case_of_run
from otel_replay.app.browse import (
    list_run_rows,
    list_session_page,
    load_comparison,
    load_run_detail,
    load_session_detail,
    load_trace_view,
    turn_sources,
)
from otel_replay.app.conversations import session_scenario
from otel_replay.app.housekeeping import (
    delete_run,
    delete_session,
    export_session_otlp_json,
    parse_age,
    prune_before,
)
from otel_replay.app.targets import resolve_run
from otel_replay.core.errors import (
    BadInputError,
    NotFoundError,
    OtelReplayError,
    StoreUnavailableError,
)
from otel_replay.scenario.files import dump_scenario
from otel_replay.store.search import SearchStore, SessionFilter
from otel_replay.ui.formatting import install_filters
from otel_replay.ui.security import Access, AccessGuard

STATIC = Path(__file__).parent / "static"
PER_PAGE = 50
_FILTER_FLAGS = ("errors", "tools", "voice", "replays")


@dataclass(frozen=True)
class UiSettings:
    """What the UI serves: a store, where regression cases live, who may use it."""

    store: SearchStore
    cases_dir: Path = Path(DEFAULT_CASES_FOLDER)
    access: Access = field(default_factory=Access)
    live_seconds: float = 3.0  # how often the session list asks for new sessions


def _parse_time(text: str, what: str) -> int | None:
    """A `datetime-local` value (taken as UTC) in unix nanoseconds."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInputError(f"{what} {text!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000


def session_filter_of(params: dict[str, str]) -> SessionFilter:
    return SessionFilter(
        text=params.get("q", "").strip(),
        service=params.get("service", ""),
        since_unix_nano=_parse_time(params.get("since", ""), "since"),
        until_unix_nano=_parse_time(params.get("until", ""), "until"),
        has_errors=params.get("errors") == "1",
        has_tools=params.get("tools") == "1",
        voice=params.get("voice") == "1",
        include_replays=params.get("replays") == "1",
    )


def _page_number(params: dict[str, str]) -> int:
    text = params.get("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


class Ui:
    """The pages; one instance per application."""

    def __init__(self, settings: UiSettings) -> None:
        self.settings = settings
        self.store = settings.store
        self.templates = Environment(
            loader=PackageLoader("otel_replay.ui", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        install_filters(self.templates)
        self.templates.globals.update(csrf=settings.access.csrf_token, urlencode=urlencode)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(**context)
        return HTMLResponse(html, status)

    # Sessions

    def sessions(self, request: Request) -> Response:
        params = dict(request.query_params)
        page = list_session_page(
            self.store, session_filter_of(params), _page_number(params), PER_PAGE
        )
        query = {k: v for k, v in params.items() if k != "page" and v}
        return self.render(
            "sessions.html",
            page=page,
            params=params,
            query=query,
            services=self.store.session_services(),
            live_seconds=self.settings.live_seconds,
            notice=params.get("notice", ""),
        )

    def session_rows(self, request: Request) -> Response:
        params = dict(request.query_params)
        page = list_session_page(
            self.store, session_filter_of(params), _page_number(params), PER_PAGE
        )
        return self.render("session_rows.html", page=page)

    def session(self, request: Request) -> Response:
        params = dict(request.query_params)
        session_id = params.get("id", "")
        detail = load_session_detail(self.store, session_id, _page_number(params))
        return self.render("session.html", detail=detail, session_id=session_id)

    def session_scenario(self, request: Request) -> Response:
        session_id = request.query_params.get("id", "")
        scenario = session_scenario(self.store, session_id)
        return _download(dump_scenario(scenario).encode(), f"{session_id}.scenario.json")

    def session_export(self, request: Request) -> Response:
        session_id = request.query_params.get("id", "")
        return _download(
            export_session_otlp_json(self.store, session_id), f"{session_id}.otlp.json"
        )

    def delete_session(self, form: dict[str, str]) -> Response:
        session_id = form.get("id", "")
        deleted = delete_session(self.store, session_id)
        notice = f"deleted session {session_id} ({deleted} trace(s))"
        return RedirectResponse("/sessions?" + urlencode({"notice": notice}), 303)

    # Traces

    def trace(self, request: Request) -> Response:
        trace_id = request.query_params.get("id", "")
        session_id, view = load_trace_view(self.store, trace_id)
        return self.render("trace.html", trace=view, session_id=session_id)

    def trace_tree(self, request: Request) -> Response:
        trace_id = request.query_params.get("id", "")
        _, view = load_trace_view(self.store, trace_id)
        return self.render("trace_tree.html", trace=view)

    # Runs

    def runs(self, request: Request) -> Response:
        return self.render(
            "runs.html", rows=list_run_rows(self.store), notice=request.query_params.get("notice")
        )

    def run(self, request: Request) -> Response:
        run_id = request.query_params.get("id", "")
        detail = load_run_detail(self.store, run_id)
        return self.render(
            "run.html",
            detail=detail,
            report=detail.report,
            span_traces=detail.span_traces,
            sources=turn_sources(detail.run),
            notice=request.query_params.get("notice", ""),
            cases_dir=str(self.settings.cases_dir),
        )

    def approve_run(self, form: dict[str, str]) -> Response:
        run_id = form.get("id", "")
        case = form.get("case", "").strip()
        # Without a folder: the case under the cases folder whose scenario the run replayed.
        # A folder named in the form must lie inside the cases folder: a page can write there
        # and nowhere else.
        root = self.settings.cases_dir.resolve()
        if case:
            folder = (root / case).resolve()
            if not folder.is_relative_to(root):
                raise BadInputError(f"case folder {case!r} is not inside {root}")
        else:
            folder = find_case_of_run(resolve_run(self.store, run_id), root)
        change = approve(self.store, run_id, folder)
        query = urlencode({"id": run_id, "notice": change.describe()})
        return RedirectResponse(f"/run?{query}", 303)

    def delete_run(self, form: dict[str, str]) -> Response:
        run_id = form.get("id", "")
        delete_run(self.store, run_id)
        return RedirectResponse("/runs?" + urlencode({"notice": f"deleted run {run_id}"}), 303)

    # Compare and housekeeping

    def compare(self, request: Request) -> Response:
        first = request.query_params.get("a", "").strip()
        second = request.query_params.get("b", "").strip()
        view = load_comparison(self.store, first, second or None) if first else None
        return self.render(
            "compare.html",
            report=view.report if view else None,
            span_traces=view.span_traces if view else {},
            sources={},
            a=first,
            b=second,
        )

    def prune(self, form: dict[str, str]) -> Response:
        seconds = parse_age(form.get("older_than", ""))
        cutoff = time.time_ns() - seconds * 1_000_000_000
        result = prune_before(self.store, cutoff)
        notice = f"pruned {result.sessions} session(s) and {result.runs} run(s)"
        return RedirectResponse("/sessions?" + urlencode({"notice": notice}), 303)


def _download(payload: bytes, filename: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(
        payload,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{safe}"'},
    )


# The HTTP status of each kind of library error (any other: 409, the request cannot be done).
_STATUS = {NotFoundError: 404, BadInputError: 400, StoreUnavailableError: 503}


def _error_page(ui: Ui, exc: OtelReplayError) -> Response:
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 409)
    return ui.render("error.html", status=status, message=str(exc))


def _get(ui: Ui, handler: Callable[[Request], Response]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        try:
            return await run_in_threadpool(handler, request)
        except OtelReplayError as exc:
            return _error_page(ui, exc)

    return endpoint


def _post(ui: Ui, handler: Callable[[dict[str, str]], Response]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if not ui.settings.access.csrf_matches(form.get("csrf", "")):
            return ui.render("error.html", status=403, message="stale form: reload the page")
        try:
            return await run_in_threadpool(handler, form)
        except OtelReplayError as exc:
            return _error_page(ui, exc)

    return endpoint


def create_app(settings: UiSettings) -> Starlette:
    """The UI as an ASGI application (served by `otel-replay ui` or `serve --ui`)."""
    ui = Ui(settings)
    routes = [
        Route("/", lambda request: RedirectResponse("/sessions", 303)),
        Route("/sessions", _get(ui, ui.sessions)),
        Route("/sessions/rows", _get(ui, ui.session_rows)),
        Route("/session", _get(ui, ui.session)),
        Route("/session/scenario", _get(ui, ui.session_scenario)),
        Route("/session/export", _get(ui, ui.session_export)),
        Route("/session/delete", _post(ui, ui.delete_session), methods=["POST"]),
        Route("/trace", _get(ui, ui.trace)),
        Route("/trace/tree", _get(ui, ui.trace_tree)),
        Route("/runs", _get(ui, ui.runs)),
        Route("/run", _get(ui, ui.run)),
        Route("/run/approve", _post(ui, ui.approve_run), methods=["POST"]),
        Route("/run/delete", _post(ui, ui.delete_run), methods=["POST"]),
        Route("/compare", _get(ui, ui.compare)),
        Route("/prune", _post(ui, ui.prune), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(AccessGuard, access=settings.access)])
