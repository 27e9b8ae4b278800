"""Run a scenario's user turns against the agent, capture what it does, store it linked."""

from __future__ import annotations

import contextvars
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from opentelemetry import baggage, context, trace
from opentelemetry.trace import Link, Status, StatusCode
from pydantic import JsonValue, ValidationError

from otel_replay.core.errors import BadInputError
from otel_replay.core.records import Span
from otel_replay.core.runs import (
    HistoryMode,
    ReplayedTurn,
    ReplayRun,
    RunStatus,
    Score,
    ToolCallSummary,
    TurnOrigin,
    TurnSide,
)
from otel_replay.core.values import to_json_value
from otel_replay.otlp.convert import spans_from_request
from otel_replay.replay.agents import AgentFactory, ChatMessage
from otel_replay.replay.capture import SpanCapture, ensure_capture, spans_to_request
from otel_replay.replay.links import (
    add_links,
    mark_llm_sources,
    plan_links,
    plan_llm_sources,
)
from otel_replay.replay.matchers import RecordedToolCall, ToolMatchMode, ToolPlayback
from otel_replay.replay.observe import observe_turn
from otel_replay.replay.sealing import ActiveReplay, active_replay, sealed_turn
from otel_replay.replay.tools import replay_link
from otel_replay.replay.tripwire import describe_unsealed_tool_run, find_unsealed_tool_runs
from otel_replay.scenario.model import Scenario, ScenarioTurn
from otel_replay.semconv.attributes import GenAI, General
from otel_replay.semconv.keys import (
    DEFAULT_SESSION_KEYS,
    REPLAY_ORIGINAL_SESSION_ID,
    REPLAY_ORIGINAL_SPAN_ID,
    REPLAY_ORIGINAL_TRACE_ID,
    REPLAY_RUN_ID,
    REPLAY_SCENARIO,
    REPLAY_TRACER_NAME,
    REPLAY_TURN_INDEX,
    REPLAY_TURN_ORIGIN,
)
from otel_replay.store.base import RunRecord, SpanStore
from otel_replay.store.rows import SpanBatch, build_span_batch

_TRACER = REPLAY_TRACER_NAME

# Scores a finished run before it is stored, so the run and its scores commit together.
# The application layer passes the evaluators; replay itself knows none.
Scorer = Callable[[Scenario, ReplayRun], Sequence[Score]]


# Called with a turn's index just before the agent gets it (the model stand-in follows).
OnTurn = Callable[[int], None]


@dataclass(frozen=True)
class FinishedTurn:
    """A turn the replay has just run, as a `Steer` sees it: the scenario turn, what the
    agent did (read from the turn's spans as the run will read them; None when no turn span
    was made) and the agent's error, if any."""

    turn: ScenarioTurn
    replayed: TurnSide | None
    error: str | None


# Called after each turn with what it did: the next turn to run, or None to end the replay.
# A turn whose index is not one of the scenario's is stored as simulated (`TurnOrigin`).
# Without a steer the scenario's user turns run in order (`simulate/` steers).
Steer = Callable[[FinishedTurn], ScenarioTurn | None]
# Most turns a steered replay runs beyond the scenario's own (a steer bounds itself first).
_MAX_STEERED_TURNS = 1000


@dataclass(frozen=True)
class ReplayOptions:
    history: HistoryMode = HistoryMode.REPLAYED
    tool_mode: ToolMatchMode = ToolMatchMode.STRICT
    live_tools: frozenset[str] = frozenset()
    # Seconds a turn may take; a turn still running then is marked timed out and the replay
    # goes on (the agent's thread is left to finish on its own). None: no limit.
    turn_timeout: float | None = None

    def as_json(self) -> dict[str, JsonValue]:
        stored: dict[str, JsonValue] = {
            "history": self.history.value,
            "tool_mode": self.tool_mode.value,
            "live_tools": list[JsonValue](sorted(self.live_tools)),
        }
        if self.turn_timeout is not None:
            stored["turn_timeout"] = self.turn_timeout
        return stored


class TurnTimeoutError(Exception):
    """A turn that did not finish within the replay's turn timeout."""


def recorded_tool_calls(turn: ScenarioTurn) -> list[RecordedToolCall]:
    return [
        RecordedToolCall(
            name=t.name,
            arguments=t.arguments if isinstance(t.arguments, dict) else {},
            result=t.result,
            error=t.error,
            call_id=t.call_id or "",
            trace_id=t.trace_id,
            span_id=t.span_id or "",
        )
        for t in turn.tool_calls
    ]


def original_side(turn: ScenarioTurn) -> TurnSide:
    return TurnSide(
        assistant=turn.assistant,
        tool_calls=[
            ToolCallSummary(name=t.name, arguments=t.arguments, result=t.result, error=t.error)
            for t in turn.tool_calls
        ],
        latency_ms=turn.metrics.latency_ms,
        time_to_first_token_ms=turn.metrics.time_to_first_token_ms,
        input_tokens=turn.metrics.input_tokens,
        output_tokens=turn.metrics.output_tokens,
        llm_calls=turn.metrics.llm_calls,
        errors=turn.metrics.errors,
    )


@dataclass
class _TurnOutcome:
    turn: ScenarioTurn
    span_id: str
    reply: ChatMessage | None
    error: str | None
    playback: ToolPlayback
    latency_ms: float
    interrupted: bool = False


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _links(pairs: Sequence[tuple[str, str]]) -> list[Link]:
    return [link for link in (replay_link(t, s) for t, s in pairs) if link is not None]


def _not_run(turn: ScenarioTurn, options: ReplayOptions, error: str) -> _TurnOutcome:
    playback = ToolPlayback(
        turn.index, recorded_tool_calls(turn), options.tool_mode, options.live_tools
    )
    return _TurnOutcome(turn, "", None, error, playback, 0.0)


def _run_turns(
    scenario: Scenario,
    factory: AgentFactory,
    options: ReplayOptions,
    run_id: str,
    session_id: str,
    on_turn: OnTurn | None,
    steer: Steer | None = None,
) -> tuple[int, list[_TurnOutcome]]:
    capture = ensure_capture()  # before the first span, so that it is recorded
    tracer = trace.get_tracer(_TRACER)
    outcomes: list[_TurnOutcome] = []
    root_attributes = {
        REPLAY_RUN_ID: run_id,
        REPLAY_SCENARIO: scenario.name,
        REPLAY_ORIGINAL_SESSION_ID: scenario.source.session_id,
        GenAI.CONVERSATION_ID: session_id,
        General.SESSION_ID: session_id,
    }
    originals = [(t.trace_id, t.span_id) for t in scenario.turns]
    token = context.attach(baggage.set_baggage(General.SESSION_ID, session_id))
    try:
        with tracer.start_as_current_span(
            f"otel_replay.replay {scenario.name}",
            attributes=root_attributes,
            links=_links(originals),
        ) as root:
            trace_id = root.get_span_context().trace_id
            capture.register(trace_id)
            with active_replay(trace_id, options.live_tools) as replay:
                try:
                    agent = factory()
                except (Exception, SystemExit) as exc:
                    # Every turn fails the same way; the run is stored like any other.
                    failure = f"the agent could not be created: {_one_line(exc)}"
                    root.set_status(Status(StatusCode.ERROR, failure))
                    return trace_id, [_not_run(turn, options, failure) for turn in scenario.turns]
                try:
                    messages: list[ChatMessage] = []
                    pending = iter([t for t in scenario.turns if t.user is not None])
                    reader = _TurnReader(capture, trace_id) if steer is not None else None
                    turn: ScenarioTurn | None = next(pending, None)
                    recorded = {t.index for t in scenario.turns}
                    for _ in range(len(scenario.turns) + _MAX_STEERED_TURNS):
                        if turn is None:
                            break
                        messages.append({"role": "user", "content": turn.user or ""})
                        if on_turn is not None:
                            on_turn(turn.index)
                        origin = (
                            TurnOrigin.RECORDED if turn.index in recorded else TurnOrigin.SIMULATED
                        )
                        outcome = _run_turn(
                            tracer,
                            agent,
                            replay,
                            turn,
                            list(messages),
                            options,
                            run_id,
                            session_id,
                            origin,
                        )
                        outcomes.append(outcome)
                        if outcome.interrupted:
                            break
                        if options.history is HistoryMode.RECORDED:
                            messages.append({"role": "assistant", "content": turn.assistant or ""})
                        elif outcome.reply is not None:
                            messages.append(outcome.reply)
                        turn = (
                            next(pending, None)
                            if steer is None or reader is None
                            else steer(reader.finished(outcome))
                        )
                finally:
                    agent.close()
    finally:
        context.detach(token)
    return trace_id, outcomes


class _TurnReader:
    """Reads each turn back from the spans captured since the previous turn ended (a turn's
    spans end within it), as the run will read them, for a `Steer`."""

    def __init__(self, capture: SpanCapture, trace_id: int) -> None:
        self._capture = capture
        self._trace_id = trace_id
        self._seen = 0

    def finished(self, outcome: _TurnOutcome) -> FinishedTurn:
        captured = self._capture.snapshot(self._trace_id, self._seen)
        self._seen += len(captured.spans)
        replayed = None
        if outcome.span_id:
            spans = list(spans_from_request(spans_to_request(captured)))
            replayed = _replayed_side(outcome, spans)
        return FinishedTurn(outcome.turn, replayed, outcome.error)


def _run_turn(
    tracer: trace.Tracer,
    agent: Callable[[list[ChatMessage]], ChatMessage],
    replay: ActiveReplay,
    turn: ScenarioTurn,
    messages: list[ChatMessage],
    options: ReplayOptions,
    run_id: str,
    session_id: str,
    origin: TurnOrigin,
) -> _TurnOutcome:
    """Run one turn under its turn span, marked with who spoke it (`origin`: a turn the
    scenario does not hold is a simulated user's)."""
    attributes: dict[str, str | int] = {
        REPLAY_RUN_ID: run_id,
        REPLAY_TURN_INDEX: turn.index,
        REPLAY_TURN_ORIGIN: origin.value,
        REPLAY_ORIGINAL_TRACE_ID: turn.trace_id,
        REPLAY_ORIGINAL_SPAN_ID: turn.span_id,
        GenAI.CONVERSATION_ID: session_id,
    }
    playback = ToolPlayback(
        turn.index, recorded_tool_calls(turn), options.tool_mode, options.live_tools
    )
    with tracer.start_as_current_span(
        f"otel_replay.turn {turn.index + 1}",
        attributes=attributes,
        links=_links([(turn.trace_id, turn.span_id)]),
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        started = time.perf_counter_ns()
        reply: ChatMessage | None = None
        error: str | None = None
        interrupted = False
        with sealed_turn(replay, playback):
            try:
                reply = _call_agent(agent, messages, options.turn_timeout)
            except TurnTimeoutError as exc:
                error = f"turn {turn.index + 1} timed out after {exc} s"
                span.set_status(Status(StatusCode.ERROR, error))
            except KeyboardInterrupt:
                error = f"turn {turn.index + 1} interrupted"
                interrupted = True
                span.set_status(Status(StatusCode.ERROR, error))
            except (Exception, SystemExit) as exc:
                # SystemExit too: an agent's sys.exit() fails its turn, not the replay.
                error = _one_line(exc)
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, error))
        latency_ms = (time.perf_counter_ns() - started) / 1e6
        span_id = f"{span.get_span_context().span_id:016x}"
    return _TurnOutcome(turn, span_id, reply, error, playback, latency_ms, interrupted)


def _call_agent(
    agent: Callable[[list[ChatMessage]], ChatMessage],
    messages: list[ChatMessage],
    timeout: float | None,
) -> ChatMessage:
    """The agent's reply; with a timeout, the turn runs on a thread of its own (in a copy of
    this context, so its sealed tools and spans stay in the turn) and is abandoned when late."""
    if timeout is None:
        return agent(messages)
    outcome: list[ChatMessage | BaseException] = []
    done = threading.Event()
    turn_context = contextvars.copy_context()

    def run() -> None:
        try:
            outcome.append(turn_context.run(agent, messages))
        except BaseException as exc:  # handed to the replay's thread below
            outcome.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="otel-replay-turn", daemon=True).start()
    if not done.wait(timeout):
        raise TurnTimeoutError(f"{timeout:g}")
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _turn_error(outcome: _TurnOutcome, unsealed_tools: Sequence[str]) -> str | None:
    """What went wrong in the turn: the agent's error, recorded tools that ran for real, and
    tool calls refused for want of a turn (the agent may have swallowed the refusal, the run
    must not)."""
    index = outcome.turn.index
    problems = [describe_unsealed_tool_run(index, name) for name in unsealed_tools]
    problems += [f"turn {index + 1}: {refused}" for refused in outcome.playback.refused]
    if outcome.error is not None:
        problems.insert(0, outcome.error)
    return "; ".join(problems) or None


def _run_status(outcomes: Sequence[_TurnOutcome], unsealed: Mapping[int, list[str]]) -> RunStatus:
    """A recorded tool that ran for real fails the run first: a side effect was repeated;
    then an interruption, then failed turns."""
    if any(unsealed.values()):
        return RunStatus.UNSEALED_TOOL
    if any(o.interrupted for o in outcomes):
        return RunStatus.INTERRUPTED
    failed = [o for o in outcomes if o.error is not None or o.playback.refused]
    if outcomes and len(failed) == len(outcomes):
        return RunStatus.AGENT_FAILED
    if failed:
        return RunStatus.TURN_FAILED
    return RunStatus.OK


def _reply_text(reply: ChatMessage | None) -> str | None:
    if reply is None:
        return None
    content = reply.get("content")
    return content if isinstance(content, str) else None


def _replayed_side(outcome: _TurnOutcome, spans: Sequence[Span]) -> TurnSide:
    observed = observe_turn(outcome.span_id, spans)
    served = {(call.name, call.order): "recorded" for call, _ in outcome.playback.served}
    unmatched = {(d.call.name, d.call.order) for d in outcome.playback.divergences}
    counters: dict[str, int] = {}
    tool_calls = []
    for tool in observed.tool_calls if observed else ():
        order = counters.get(tool.name, 0)
        counters[tool.name] = order + 1
        key = (tool.name, order)
        source = (
            "recorded"
            if key in served
            else "unmatched"
            if key in unmatched
            else "live"
            if tool.name in outcome.playback.live_tools
            else None
        )
        tool_calls.append(
            ToolCallSummary(
                name=tool.name,
                arguments=to_json_value(tool.arguments),
                result=to_json_value(tool.result),
                error=tool.error,
                source=source,
            )
        )
    return TurnSide(
        assistant=_reply_text(outcome.reply),
        tool_calls=tool_calls,
        latency_ms=outcome.latency_ms,
        time_to_first_token_ms=(
            observed.time_to_first_token_unix_nano / 1e6
            if observed and observed.time_to_first_token_unix_nano is not None
            else None
        ),
        input_tokens=observed.usage.input_tokens if observed else None,
        output_tokens=observed.usage.output_tokens if observed else None,
        llm_calls=len(observed.llm_calls) if observed else 0,
        errors=(len(observed.errors) if observed else 0) + (1 if outcome.error else 0),
    )


def replay_scenario(
    scenario: Scenario,
    factory: AgentFactory,
    store: SpanStore,
    *,
    agent_label: str,
    options: ReplayOptions | None = None,
    score: Scorer | None = None,
    on_turn: OnTurn | None = None,
    annotate: Callable[[ReplayRun], ReplayRun] | None = None,
    llm_sources: Callable[[int], Sequence[str]] | None = None,
    steer: Steer | None = None,
) -> ReplayRun:
    """Replay every user turn of the scenario against a new agent session; store the spans
    (linked to the originals) and the run, scored by `score` when given; return the run.

    A failing, hanging (`turn_timeout`) or exiting agent fails its turn and the replay goes
    on; Ctrl-C ends it after storing the finished turns (status `interrupted`). A `steer`
    chooses each next turn instead of the scenario's order (stop early, or go on with turns
    of its own: a simulated user)."""
    run, span_batch = _replay(
        scenario, factory, agent_label, options, score, on_turn, annotate, llm_sources, steer
    )
    # The run's spans and its record commit together: one transaction per replay.
    store.write([span_batch], [], [run_record(run)])
    return run


def _replay(
    scenario: Scenario,
    factory: AgentFactory,
    agent_label: str,
    options: ReplayOptions | None,
    score: Scorer | None,
    on_turn: OnTurn | None = None,
    annotate: Callable[[ReplayRun], ReplayRun] | None = None,
    llm_sources: Callable[[int], Sequence[str]] | None = None,
    steer: Steer | None = None,
) -> tuple[ReplayRun, SpanBatch]:
    """The replayed run and its linked spans, not yet stored."""
    options = options or ReplayOptions()
    run_id = uuid.uuid4().hex
    session_id = f"replay-{run_id[:16]}"
    started = time.time_ns()
    trace_id, outcomes = _run_turns(scenario, factory, options, run_id, session_id, on_turn, steer)
    captured = ensure_capture().take(trace_id)
    request = spans_to_request(captured)
    spans = list(spans_from_request(request))
    turn_span_ids = {o.span_id: o.turn.index for o in outcomes if o.span_id}
    recorded_tools = {t.name for turn in scenario.turns for t in turn.tool_calls}
    unsealed = find_unsealed_tool_runs(spans, turn_span_ids, recorded_tools, options.live_tools)
    recorded = {t.index: t for t in scenario.turns}
    recorded_span_ids = {s: i for s, i in turn_span_ids.items() if i in recorded}
    add_links(request, plan_links(spans, recorded_span_ids, recorded))
    if llm_sources is not None:  # the model stand-in's log: each model span says its source
        mark_llm_sources(request, plan_llm_sources(spans, turn_span_ids, llm_sources))
    span_batch = build_span_batch(request, DEFAULT_SESSION_KEYS)
    trace_hex = f"{trace_id:032x}"
    by_index = {o.turn.index: o for o in outcomes}
    turns = []
    for turn in scenario.turns:
        outcome = by_index.get(turn.index)
        turns.append(
            ReplayedTurn(
                index=turn.index,
                user=turn.user,
                original=original_side(turn),
                replayed=_replayed_side(outcome, spans) if outcome and outcome.span_id else None,
                original_trace_id=turn.trace_id,
                original_span_id=turn.span_id,
                trace_id=trace_hex if outcome else None,
                span_id=outcome.span_id or None if outcome else None,
                error=_turn_error(outcome, unsealed.get(turn.index, [])) if outcome else None,
                divergences=[d.describe() for d in outcome.playback.divergences] if outcome else [],
                note=None if outcome else _not_replayed(turn),
            )
        )
    turns += [
        _simulated_turn(o, spans, unsealed.get(o.turn.index, []), trace_hex)
        for o in outcomes
        if o.turn.index not in recorded
    ]
    run = ReplayRun(
        run_id=run_id,
        scenario=scenario.name,
        agent=agent_label,
        original_session_id=scenario.source.session_id,
        session_id=session_id,
        status=_run_status(outcomes, unsealed),
        started_unix_nano=started,
        ended_unix_nano=time.time_ns(),
        trace_ids=[trace_hex],
        options=options.as_json(),
        turns=turns,
    )
    if annotate is not None:  # what the caller saw of the run (e.g. the model stand-in's log)
        run = annotate(run)
    if score is not None:
        run = run.with_scores(score(scenario, run))
    return run, span_batch


def _not_replayed(turn: ScenarioTurn) -> str:
    if turn.user is None:
        return "no user message recorded: turn not replayed"
    return "not replayed: the replay ended before it"


def _simulated_turn(
    outcome: _TurnOutcome, spans: Sequence[Span], unsealed: Sequence[str], trace_hex: str
) -> ReplayedTurn:
    """A turn a steer made up (a simulated user's): no original, nothing to link to."""
    return ReplayedTurn(
        index=outcome.turn.index,
        user=outcome.turn.user,
        original=TurnSide(assistant=None),
        replayed=_replayed_side(outcome, spans) if outcome.span_id else None,
        original_trace_id="",
        original_span_id="",
        trace_id=trace_hex,
        span_id=outcome.span_id or None,
        error=_turn_error(outcome, unsealed),
        divergences=[d.describe() for d in outcome.playback.divergences],
        origin=TurnOrigin.SIMULATED,
    )


def run_record(run: ReplayRun) -> RunRecord:
    return RunRecord(
        run.run_id,
        run.scenario,
        run.original_session_id,
        run.session_id,
        run.agent,
        run.status.value,
        run.started_unix_nano,
        run.ended_unix_nano,
        tuple(run.trace_ids),
        run.model_dump_json(),
    )


def save_run(store: SpanStore, run: ReplayRun) -> None:
    """Store (or update, e.g. with scores) a replay run."""
    store.save_run(run_record(run))


def load_run(record: RunRecord) -> ReplayRun:
    """A stored run, read back; a record that no longer validates is bad input."""
    try:
        return ReplayRun.model_validate_json(record.result_json)
    except ValidationError as exc:
        raise BadInputError(f"run {record.run_id} is malformed: {exc}") from exc


def replay_many(
    scenarios: Sequence[Scenario],
    factory: AgentFactory,
    store: SpanStore,
    *,
    agent_label: str,
    options: ReplayOptions | None = None,
    concurrency: int = 4,
    on_done: Callable[[ReplayRun], None] | None = None,
    score: Scorer | None = None,
) -> list[ReplayRun]:
    """Replay independent (trace) scenarios, several at once; results in input order.

    Runs are stored by one writer in group commits (`_GroupCommit`): a replay goes on while
    the previous ones commit, and `on_done` hears of a run only once it is committed."""

    def one(scenario: Scenario) -> Future[ReplayRun]:
        run, span_batch = _replay(scenario, factory, agent_label, options, score)
        return writer.submit(run, span_batch)

    writer = _GroupCommit(store, on_done)
    try:
        with ThreadPoolExecutor(
            max_workers=max(1, concurrency), thread_name_prefix="otel-replay"
        ) as pool:
            saved = list(pool.map(one, scenarios))
    finally:
        writer.close()  # every finished replay is committed (or has failed) before we return
    return [future.result() for future in saved]


class _GroupCommit:
    """One writer thread for `replay_many`: it commits every run queued since its last commit
    in one transaction (one fsync for all), then reports each (`on_done`) and resolves its
    future. A group that fails to commit is retried run by run, so one bad run fails alone."""

    _PENDING = 64  # runs waiting for a commit before replays wait for the writer

    def __init__(self, store: SpanStore, on_done: Callable[[ReplayRun], None] | None) -> None:
        self._store = store
        self._on_done = on_done
        self._queue: queue.Queue[_Pending | None] = queue.Queue(self._PENDING)
        # Not a daemon: a Ctrl-C that cuts close() short still lets the queued runs commit
        # before the interpreter exits.
        self._thread = threading.Thread(target=self._write_all, name="otel-replay-commit")
        self._thread.start()

    def submit(self, run: ReplayRun, span_batch: SpanBatch) -> Future[ReplayRun]:
        pending = _Pending(run, span_batch, Future())
        self._queue.put(pending)
        return pending.saved

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _write_all(self) -> None:
        closing = False
        while not closing:  # ends at the None that close() queues last
            group: list[_Pending] = []
            item = self._queue.get()
            while item is not None:
                group.append(item)
                if len(group) >= self._PENDING:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            closing = item is None
            try:
                self._commit(group)
            except BaseException as exc:  # the writer must live on to drain the queue
                for pending in group:
                    if not pending.saved.done():
                        pending.saved.set_exception(exc)

    def _commit(self, group: Sequence[_Pending]) -> None:
        if not group:
            return
        try:
            self._store.write([p.span_batch for p in group], [], [run_record(p.run) for p in group])
        except Exception as exc:
            if len(group) == 1:
                group[0].saved.set_exception(exc)
                return
            for pending in group:
                self._commit([pending])
            return
        for pending in group:
            try:
                if self._on_done is not None:
                    self._on_done(pending.run)
            except Exception as exc:
                pending.saved.set_exception(exc)
            else:
                pending.saved.set_result(pending.run)


@dataclass(frozen=True)
class _Pending:
    run: ReplayRun
    span_batch: SpanBatch
    saved: Future[ReplayRun]


__all__ = [
    "FinishedTurn",
    "OnTurn",
    "ReplayOptions",
    "Scorer",
    "Steer",
    "TurnTimeoutError",
    "load_run",
    "replay_many",
    "replay_scenario",
    "save_run",
]
