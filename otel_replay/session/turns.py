"""Pure: the spans and log records of a session -> a normalised `Conversation`.

A session is all traces sharing a resolved session id, ordered by root start time. Each
turn holds the new user message, the agent's final reply (the text output of its last LLM
call), its leaf LLM calls and tool calls in order, tokens, errors and span ids. Unknown or
partial data gives a turn with what is known and notes on what is missing, never an error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from otel_replay.core.records import LogRecord, Span
from otel_replay.semconv.crewai import task_description
from otel_replay.semconv.identity import resolve_session_id, resolve_user_id
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.semconv.messages import last_user_text
from otel_replay.semconv.model import Conversation, LlmCall, SpanError, SpanRole, Turn, Usage
from otel_replay.semconv.normalise import build_llm_call, span_error, tool_facts, turn_text
from otel_replay.session.agent import build_agent_definition
from otel_replay.session.collector import collector_paused
from otel_replay.session.segments import Segment, segment_trace
from otel_replay.session.tool_links import (
    ToolExecution,
    ToolHistory,
    continues_after_tools,
    link_tool_calls,
)
from otel_replay.session.trace_tree import TraceTree, build_trace_trees


def _llm_calls(tree: TraceTree, segment: Segment) -> list[LlmCall]:
    """Leaf model calls only; an LLM span around other LLM spans lends them its content."""
    in_segment = {s.span_id for s in segment.spans}
    llm_spans = [s for s in segment.spans if tree.role(s) is SpanRole.LLM]
    wrapper_ids = {
        a.span_id
        for s in llm_spans
        for a in tree.ancestors(s)
        if tree.role(a) is SpanRole.LLM and a.span_id in in_segment
    }
    leaves = [s for s in llm_spans if s.span_id not in wrapper_ids]
    if not wrapper_ids:
        # The common case: no LLM span wraps another, so no leaf borrows content.
        calls = [build_llm_call(leaf, tree.logs_for(leaf)) for leaf in leaves]
        return sorted(calls, key=lambda c: (c.start_unix_nano, c.span_id))
    # A wrapper's content goes to the last leaf under it (earlier ones are retries).
    last_leaf: dict[str, str] = {}
    for leaf in leaves:
        for ancestor in tree.ancestors(leaf):
            if ancestor.span_id in wrapper_ids:
                last_leaf[ancestor.span_id] = leaf.span_id
    calls = []
    for leaf in leaves:
        wrappers = [
            (a, tree.logs_for(a))
            for a in tree.ancestors(leaf)
            if a.span_id in wrapper_ids and last_leaf.get(a.span_id) == leaf.span_id
        ]
        calls.append(build_llm_call(leaf, tree.logs_for(leaf), wrappers))
    return sorted(calls, key=lambda c: (c.start_unix_nano, c.span_id))


def _tool_executions(
    tree: TraceTree, segment: Segment
) -> tuple[list[ToolExecution], list[ToolExecution]]:
    """Tool spans (a tool span nested in one of the same name is the same call), and
    unclassified spans that may have run a tool without saying so."""
    executions: list[ToolExecution] = []
    names: dict[str, str | None] = {}
    candidates: list[ToolExecution] = []
    for span in segment.spans:
        role = tree.role(span)
        if role in (SpanRole.UNKNOWN, SpanRole.CHAIN) and span is not segment.anchor:
            candidates.append(ToolExecution(span, tool_facts(span)))
        if role is not SpanRole.TOOL:
            continue
        facts = tool_facts(span)
        names[span.span_id] = facts.name
        outer = next((a for a in tree.ancestors(span) if tree.role(a) is SpanRole.TOOL), None)
        if outer is not None and names.get(outer.span_id) == facts.name:
            continue
        executions.append(ToolExecution(span, facts))
    return executions, candidates


def _user_text(segment: Segment, calls: Sequence[LlmCall]) -> tuple[str | None, str | None]:
    """(text, where it came from when not the first LLM call's input)."""
    from_llm = last_user_text(calls[0].input_messages) if calls else None
    if from_llm is not None:
        # A framework that templates the user's input into its prompt (CrewAI's task):
        # the input as recorded, when the prompt holds it.
        task = next(
            (t for s in segment.spans if (t := task_description(s)) and t in from_llm), None
        )
        if task is not None:
            return task, None
    from_spans = next(
        ((t, s.name) for s in segment.text_spans if (t := turn_text(s).user_text)), None
    )
    if segment.voice and from_spans is not None:
        return from_spans[0], None
    if from_llm is not None:
        return from_llm, None
    if from_spans is not None:
        return from_spans[0], from_spans[1]
    return None, None


def _assistant_text(segment: Segment, calls: Sequence[LlmCall]) -> tuple[str | None, str | None]:
    if calls and calls[-1].output_text:
        return calls[-1].output_text, None
    texts = [(t, s.name) for s in segment.text_spans if (t := turn_text(s).assistant_text)]
    if not texts:
        return None, None
    if segment.voice:
        # Spoken text: every TTS request of the turn, in order.
        return " ".join(t for t, _ in texts), texts[-1][1]
    return texts[0]


def _errors(spans: Sequence[Span], tool_errors: Sequence[SpanError]) -> tuple[SpanError, ...]:
    errors = [
        SpanError(span.span_id, span.name, message)
        for span in spans
        if (message := span_error(span)) is not None
    ]
    seen = {e.span_id for e in errors}
    errors.extend(e for e in tool_errors if e.span_id not in seen)
    return tuple(errors)


@dataclass(frozen=True)
class _Piece:
    """One segment of one trace with its model calls and tool spans."""

    tree: TraceTree
    segment: Segment
    calls: tuple[LlmCall, ...]
    executions: tuple[ToolExecution, ...]
    candidates: tuple[ToolExecution, ...]


def _piece(tree: TraceTree, segment: Segment) -> _Piece:
    executions, candidates = _tool_executions(tree, segment)
    calls = _llm_calls(tree, segment)
    return _Piece(tree, segment, tuple(calls), tuple(executions), tuple(candidates))


def _continues(previous: _Piece, piece: _Piece) -> bool:
    """A request/response segment whose first model call only carries the results of the
    tools the previous segment's last call asked for continues that user turn
    (docs/semconv.md section 10.5)."""
    if previous.segment.voice or piece.segment.voice or not previous.calls or not piece.calls:
        return False
    return continues_after_tools(previous.calls[-1], piece.calls[0])


def build_turn(index: int, pieces: Sequence[_Piece], history: ToolHistory) -> Turn:
    """One turn from the segments that make it up (one, or an agent loop's traces)."""
    first, last = pieces[0], pieces[-1]
    calls = [call for piece in pieces for call in piece.calls]
    executions = [e for piece in pieces for e in piece.executions]
    candidates = [c for piece in pieces for c in piece.candidates]
    tools, notes = link_tool_calls(first.tree.trace_id, calls, executions, candidates, history)
    user, user_source = _user_text(first.segment, calls)
    answer, answer_source = _assistant_text(last.segment, calls)
    if len(pieces) > 1:
        notes.insert(0, f"one turn over {len(pieces)} traces (an agent loop's model calls)")
    if not calls:
        notes.insert(0, "no LLM call found")
    if user is None:
        notes.append("user message not found")
    elif user_source is not None:
        notes.append(f"user message taken from span {user_source!r}")
    if answer is None:
        notes.append("assistant reply not found")
    elif answer_source is not None:
        notes.append(f"assistant reply taken from span {answer_source!r}")
    for call in calls:
        notes.extend(f"LLM call {call.name!r} ({call.span_id}): {note}" for note in call.notes)
    tool_errors = [
        SpanError(t.execution_span_id or "", t.name, t.error) for t in tools if t.error is not None
    ]
    usage = Usage()
    for call in calls:
        usage = usage + call.usage
    spans = [span for piece in pieces for span in piece.segment.spans]
    return Turn(
        index=index,
        trace_id=first.tree.trace_id,
        span_id=first.segment.anchor.span_id,
        user_text=user,
        assistant_text=answer,
        llm_calls=tuple(calls),
        tool_calls=tuple(tools),
        start_unix_nano=min(s.start_time_unix_nano for s in spans),
        end_unix_nano=max(s.end_time_unix_nano for s in spans),
        usage=usage,
        errors=_errors(spans, tool_errors),
        span_ids=tuple(s.span_id for s in spans),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class _Failed:
    tree: TraceTree
    segment: Segment
    exc: Exception


def _turn_runs(items: Sequence[_Piece | _Failed]) -> list[list[_Piece] | _Failed]:
    """Consecutive segments that continue one user turn, grouped; failures stand alone."""
    runs: list[list[_Piece] | _Failed] = []
    for item in items:
        previous = runs[-1] if runs else None
        if (
            isinstance(item, _Piece)
            and isinstance(previous, list)
            and _continues(previous[-1], item)
        ):
            previous.append(item)
            continue
        runs.append([item] if isinstance(item, _Piece) else item)
    return runs


def _failed_turn(index: int, tree: TraceTree, segment: Segment, exc: Exception) -> Turn:
    return Turn(
        index=index,
        trace_id=tree.trace_id,
        span_id=segment.anchor.span_id,
        user_text=None,
        assistant_text=None,
        llm_calls=(),
        tool_calls=(),
        start_unix_nano=min(s.start_time_unix_nano for s in segment.spans),
        end_unix_nano=max(s.end_time_unix_nano for s in segment.spans),
        usage=Usage(),
        span_ids=tuple(s.span_id for s in segment.spans),
        notes=(f"turn could not be reconstructed: {type(exc).__name__}: {exc}",),
    )


def _log_notes(spans: Sequence[Span], logs: Sequence[LogRecord]) -> list[str]:
    known = {(s.trace_id, s.span_id) for s in spans}
    unmatched = sum(1 for log in logs if (log.trace_id, log.span_id) not in known)
    if not unmatched:
        return []
    return [f"{unmatched} log record(s) match no span of the session and were not used"]


def _build_turns(trees: Sequence[TraceTree]) -> list[Turn]:
    history = ToolHistory()
    turns: list[Turn] = []
    items: list[_Piece | _Failed] = []
    for tree in trees:
        for segment in segment_trace(tree):
            try:
                items.append(_piece(tree, segment))
            except Exception as exc:
                # Telemetry is untrusted input: one odd turn must not lose the session.
                items.append(_Failed(tree, segment, exc))
    for run in _turn_runs(items):
        if isinstance(run, _Failed):
            turns.append(_failed_turn(len(turns), run.tree, run.segment, run.exc))
            continue
        try:
            turns.append(build_turn(len(turns), run, history))
        except Exception as exc:
            turns.append(_failed_turn(len(turns), run[0].tree, run[0].segment, exc))
    return turns


def build_turns(spans: Sequence[Span], logs: Sequence[LogRecord] = ()) -> list[Turn]:
    """The turns alone, as `build_conversation` makes them (no agent, user or notes)."""
    return _build_turns(build_trace_trees(spans, logs))


@collector_paused()
def build_conversation(
    session_id: str, spans: Sequence[Span], logs: Sequence[LogRecord]
) -> Conversation:
    """The session's traces, in root start order, as a conversation of turns."""
    trees = build_trace_trees(spans, logs)
    turns = _build_turns(trees)
    notes = [note for tree in trees for note in tree.notes]
    notes.extend(_log_notes(spans, logs))
    agent, agent_notes = build_agent_definition(
        [call for turn in turns for call in turn.llm_calls], spans
    )
    notes.extend(agent_notes)
    if not trees:
        notes.append("no spans")
    return Conversation(
        session_id=session_id,
        user_id=resolve_user_id(spans),
        trace_ids=tuple(tree.trace_id for tree in trees),
        turns=tuple(turns),
        agent=agent,
        notes=tuple(notes),
    )


def group_sessions(
    spans: Sequence[Span], session_keys: Sequence[str] = DEFAULT_SESSION_KEYS
) -> dict[str, list[Span]]:
    """Spans by resolved session id (per trace; the trace id when no key is present)."""
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    sessions: dict[str, list[Span]] = defaultdict(list)
    for trace_id, trace_spans in by_trace.items():
        session_id = resolve_session_id(trace_spans, session_keys) or trace_id
        sessions[session_id].extend(trace_spans)
    return dict(sessions)


def build_conversations(
    spans: Sequence[Span],
    logs: Sequence[LogRecord] = (),
    session_keys: Sequence[str] = DEFAULT_SESSION_KEYS,
) -> list[Conversation]:
    """Every session found in the spans, as conversations ordered by first trace start."""
    conversations = []
    for session_id, session_spans in group_sessions(spans, session_keys).items():
        traces = {s.trace_id for s in session_spans}
        session_logs = [log for log in logs if log.trace_id in traces]
        conversations.append(build_conversation(session_id, session_spans, session_logs))
    return sorted(
        conversations,
        key=lambda c: (c.turns[0].start_unix_nano if c.turns else 0, c.session_id),
    )
