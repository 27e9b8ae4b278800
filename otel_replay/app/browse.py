"""Browsing the store, for the web UI: the session list (searched and filtered), a session
with its conversation and span trees, one trace, the runs and one run with its report."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from otel_replay.app.reports import compare
from otel_replay.app.sessions import MAX_SESSION_TRACES
from otel_replay.app.targets import resolve_run
from otel_replay.core.errors import NotFoundError
from otel_replay.core.records import LogRecord, Span, StatusCode
from otel_replay.core.runs import ReplayRun
from otel_replay.core.values import to_json_data
from otel_replay.replay.runner import load_run
from otel_replay.report import Report
from otel_replay.semconv.classify import classify_span
from otel_replay.semconv.model import Conversation, SpanRole
from otel_replay.semconv.normalise import turn_text
from otel_replay.session.trace_tree import build_trace_trees
from otel_replay.session.turns import build_conversation
from otel_replay.store.base import TraceSummary
from otel_replay.store.search import SearchStore, SessionFilter, SessionRow, TraceFacts

_log = logging.getLogger(__name__)

# Traces whose facts one call computes at most by default, and before a search request (a
# background indexer in the UI server does the rest): a request stays bounded.
FACTS_BATCH = 10_000
REQUEST_FACTS_BATCH = 200
REQUEST_FACTS_SCAN = 2000  # a request looks for stale facts among the latest traces only
_FACT_TRACES_PER_LOAD = 200


def _trace_facts(trace_id: str, spans: Sequence[Span]) -> TraceFacts:
    """What the list searches in a trace: the user and assistant text its spans record (each
    text once), whether a span failed, whether a tool ran. Read span by span with the
    conventions' own readers, without rebuilding turns (several times faster)."""
    texts: dict[str, None] = {}
    has_error = has_tool = False
    for span in spans:
        has_error = has_error or span.status_code is StatusCode.ERROR
        try:
            has_tool = has_tool or classify_span(span) is SpanRole.TOOL
            said = turn_text(span)
        except Exception as exc:  # untrusted telemetry: the trace stays listed, with less text
            _log.warning("trace %s: span %s gives no search text (%s)", trace_id, span.span_id, exc)
            continue
        for text in (said.user_text, said.assistant_text):
            if text:
                texts[text.lower()] = None
    return TraceFacts(trace_id, len(spans), int(has_error), int(has_tool), "\n".join(texts))


def index_trace_facts(
    store: SearchStore, max_traces: int = FACTS_BATCH, latest: int | None = None
) -> int:
    """Compute the search facts of traces that have none or whose spans changed since (newest
    first, at most `max_traces`, among the `latest` traces when given); returns how many were
    computed."""
    stale = store.stale_fact_traces(max_traces, latest)
    for start in range(0, len(stale), _FACT_TRACES_PER_LOAD):
        chunk = stale[start : start + _FACT_TRACES_PER_LOAD]
        spans_by_trace: dict[str, list[Span]] = defaultdict(list)
        for span in store.get_spans(chunk):
            spans_by_trace[span.trace_id].append(span)
        store.save_trace_facts([_trace_facts(t, spans_by_trace[t]) for t in chunk])
    return len(stale)


@dataclass
class FactsGate:
    """Runs the stale-facts scan only when the store has changed since the last complete one.

    The scan reads every trace (~0.24 s at 1M spans); the gate reads the store's change
    marker first (O(1)) and skips the scan while it has not moved. The marker is read before
    the scan, so a write that lands during a scan moves it again and is scanned next time.
    `scans` counts the scans run (what tests and bench/ui.py read)."""

    store: SearchStore
    max_traces: int = FACTS_BATCH
    marker: str | None = None  # as read before the last scan that left nothing stale
    scans: int = 0

    def step(self) -> int:
        """Bring facts up to date if anything changed; returns how many traces were computed
        (0 when the store had not changed, or nothing was stale)."""
        marker = self.store.change_marker()
        if marker == self.marker:
            return 0
        self.scans += 1
        done = index_trace_facts(self.store, self.max_traces)
        # A full batch may have left more stale traces: scan again without waiting for a write.
        self.marker = marker if done < self.max_traces else None
        return done


@dataclass(frozen=True)
class SessionPage:
    """One page of the session list."""

    rows: list[SessionRow]
    page: int  # 1-based
    per_page: int
    has_next: bool


def list_session_page(
    store: SearchStore, session_filter: SessionFilter, page: int = 1, per_page: int = 50
) -> SessionPage:
    """A page of sessions, most recent first. Filters that read the facts bring them up to
    date first (bounded), so a search sees what has just arrived."""
    page = max(1, page)
    if session_filter.text or session_filter.has_errors or session_filter.has_tools:
        index_trace_facts(store, REQUEST_FACTS_BATCH, REQUEST_FACTS_SCAN)
    rows = store.search_sessions(session_filter, per_page + 1, (page - 1) * per_page)
    return SessionPage(rows[:per_page], page, per_page, len(rows) > per_page)


@dataclass(frozen=True)
class SpanNode:
    """A span in its tree, flattened depth first (parents before children)."""

    span: Span
    depth: int
    attributes_json: str
    resource_json: str
    logs: tuple[LogRecord, ...] = ()

    @property
    def duration_ms(self) -> float:
        return self.span.duration_unix_nano / 1e6


@dataclass(frozen=True)
class TraceView:
    trace_id: str
    nodes: list[SpanNode]
    # Per span id of this trace, the (trace id, span id) of the replay spans linking to it.
    linked_from: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _json_text(value: object) -> str:
    return json.dumps(to_json_data(value), indent=1, sort_keys=True, ensure_ascii=False)


def build_trace_views(spans: Sequence[Span], logs: Sequence[LogRecord] = ()) -> list[TraceView]:
    """Each trace's spans as a depth-first list, traces in start order."""
    views = []
    for tree in build_trace_trees(spans, logs):
        nodes: list[SpanNode] = []
        stack = [(root, 0) for root in reversed(tree.roots)]
        seen: set[str] = set()
        while stack and len(nodes) <= len(tree.spans):
            span, depth = stack.pop()
            if span.span_id in seen:
                continue
            seen.add(span.span_id)
            nodes.append(
                SpanNode(
                    span,
                    depth,
                    _json_text(span.attributes),
                    _json_text(span.resource.attributes),
                    tuple(tree.logs.get(span.span_id, ())),
                )
            )
            children = tree.children.get(span.span_id, ())
            stack.extend((child, depth + 1) for child in reversed(children))
        views.append(TraceView(tree.trace_id, nodes))
    return views


@dataclass(frozen=True)
class SessionDetail:
    """A page of a stored session: the conversation of some of its traces (SESSION_PAGE_TRACES
    a page, in start order), those traces, and the runs that replayed the session."""

    session_id: str
    conversation: Conversation
    traces: list[TraceSummary]
    runs: list[ReplayRun]
    page: int
    pages: int
    first_turn: int  # the number (1-based) of the page's first turn in the whole session
    turn_count: int  # of the whole session
    trace_count: int

    @property
    def first_trace(self) -> int:
        """The number (1-based) of the page's first trace in the whole session."""
        return (self.page - 1) * SESSION_PAGE_TRACES + 1


SESSION_PAGE_TRACES = 50
MAX_LISTED_RUNS = 1000


def load_session_detail(store: SearchStore, session_id: str, page: int = 1) -> SessionDetail:
    """One page of a stored session (a long one is rebuilt a page at a time)."""
    summaries = store.list_traces(MAX_SESSION_TRACES, session_id=session_id)
    if not summaries:
        raise NotFoundError(f"no session {session_id!r} in the store")
    pages = -(-len(summaries) // SESSION_PAGE_TRACES)
    page = min(max(1, page), pages)
    start = (page - 1) * SESSION_PAGE_TRACES
    chosen = summaries[start : start + SESSION_PAGE_TRACES]
    trace_ids = [t.trace_id for t in chosen]
    conversation = build_conversation(
        session_id, store.get_spans(trace_ids), store.get_log_records(trace_ids)
    )
    runs = [
        load_run(record)
        for record in store.list_runs(MAX_LISTED_RUNS)
        if record.original_session_id == session_id
    ]
    return SessionDetail(
        session_id=session_id,
        conversation=conversation,
        traces=chosen,
        runs=runs,
        page=page,
        pages=pages,
        first_turn=1 + sum(t.turn_count for t in summaries[:start]),
        turn_count=sum(t.turn_count for t in summaries),
        trace_count=len(summaries),
    )


def _replay_links_into(store: SearchStore, trace_id: str) -> dict[str, list[tuple[str, str]]]:
    """The spans of stored replays that link to spans of this (original) trace."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record in store.list_runs(MAX_LISTED_RUNS):
        run = load_run(record)
        if all(turn.original_trace_id != trace_id for turn in run.turns):
            continue
        for span in store.get_spans(run.trace_ids):
            for link in span.links:
                if link.trace_id == trace_id:
                    found[link.span_id].append((span.trace_id, span.span_id))
    return dict(found)


def load_trace_view(store: SearchStore, trace_id: str) -> tuple[str, TraceView]:
    """One trace's span tree, with the session it belongs to and the replay spans that
    link to its spans (a replay's own links to its originals are on its spans)."""
    summary = store.get_trace(trace_id)
    if summary is None:
        raise NotFoundError(f"no trace {trace_id!r} in the store")
    spans = store.get_spans([trace_id])
    views = build_trace_views(spans, store.get_log_records([trace_id]))
    view = views[0] if views else TraceView(trace_id, [])
    return summary.session_id, TraceView(
        view.trace_id, view.nodes, _replay_links_into(store, trace_id)
    )


@dataclass(frozen=True)
class RunRow:
    """One run of the run list."""

    run: ReplayRun
    checks_passed: int
    checks_failed: int

    @property
    def passed(self) -> bool:
        return self.run.passed and self.checks_failed == 0


def list_run_rows(store: SearchStore, limit: int = 200) -> list[RunRow]:
    """Runs, newest first, with their checks counted."""
    rows = []
    for record in store.list_runs(limit):
        run = load_run(record)
        failed = sum(1 for score in run.scores if not score.passed)
        rows.append(RunRow(run, len(run.scores) - failed, failed))
    return rows


@dataclass(frozen=True)
class RunDetail:
    run: ReplayRun
    report: Report
    # The trace of every span on either side, for links from the span-tree diff.
    span_traces: dict[str, str]


def _span_traces(store: SearchStore, report: Report) -> dict[str, str]:
    trace_ids = report.identity.original.trace_ids + report.identity.replay.trace_ids
    return {span.span_id: span.trace_id for span in store.get_spans(trace_ids)}


def load_run_detail(store: SearchStore, run_id: str) -> RunDetail:
    """A run and its report against the session it replayed (as `otel-replay diff RUN`)."""
    run = resolve_run(store, run_id)
    report = compare(store, run_id).report
    return RunDetail(run, report, _span_traces(store, report))


@dataclass(frozen=True)
class ComparisonView:
    """Any two sides compared (as `otel-replay diff A B`), with the trace of every span."""

    report: Report
    passed: bool
    span_traces: dict[str, str]


def load_comparison(store: SearchStore, first: str, second: str | None) -> ComparisonView:
    comparison = compare(store, first, second)
    return ComparisonView(
        comparison.report, comparison.passed, _span_traces(store, comparison.report)
    )


@dataclass(frozen=True)
class Source:
    """Where one answer of a replayed turn came from: recorded, live, simulated, unanswered."""

    what: str  # `model call 2`, a tool's name
    source: str


def turn_sources(run: ReplayRun) -> dict[int, list[Source]]:
    """Per turn number (1-based), where its model answers and tool results came from."""
    found: dict[int, list[Source]] = {}
    for turn in run.turns:
        if turn.replayed is None:
            continue
        sources = [
            Source(f"model call {i}", source)
            for i, source in enumerate(turn.replayed.llm_sources, 1)
        ]
        sources += [Source(c.name, c.source) for c in turn.replayed.tool_calls if c.source]
        found[turn.index + 1] = sources
    return found
