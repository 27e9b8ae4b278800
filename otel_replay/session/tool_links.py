"""Pure: put each tool call together from the model's request, the execution span and the
result the next model call received (docs/semconv.md section 10.6).

Requests come from LLM outputs; when an output was not recorded (Pipecat), a request is
synthesised from the tool calls a later LLM input shows after the turn's user message.
Execution spans are matched by call id, else by tool name (the span that ran the requested
arguments first, then time order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from otel_replay.core.records import Span
from otel_replay.semconv.facts import ToolFacts
from otel_replay.semconv.model import LinkedBy, LlmCall, Message, Part, Role, ToolCall
from otel_replay.semconv.normalise import tool_name_from_span_name
from otel_replay.semconv.values import text_of


@dataclass(frozen=True)
class ToolExecution:
    """A span that ran a tool, with what it says about the call."""

    span: Span
    facts: ToolFacts


@dataclass
class ToolHistory:
    """What earlier LLM calls of the conversation showed; carried from turn to turn."""

    seen_call_ids: set[str] = field(default_factory=set)
    seen_signatures: set[tuple[str | None, str]] = field(default_factory=set)
    previous_transcript: tuple[Message, ...] = ()


@dataclass
class _Request:
    part: Part
    call_index: int
    synthesised: bool
    execution: ToolExecution | None = None
    linked_by: LinkedBy | None = None


def _signature(part: Part) -> tuple[str | None, str]:
    return (part.name, text_of(part.arguments) or "")


def _message_key(message: Message) -> tuple[object, ...]:
    return (
        message.role,
        message.text,
        tuple((p.type, p.call_id, p.name) for p in message.parts),
    )


def new_input_messages(inputs: Sequence[Message], previous: Sequence[Message]) -> list[Message]:
    """The input messages after the latest user text that the previous call had not seen."""
    common = 0
    for mine, theirs in zip(inputs, previous, strict=False):
        if _message_key(mine) != _message_key(theirs):
            break
        common += 1
    last_user = max((i for i, m in enumerate(inputs) if m.role is Role.USER and m.text), default=-1)
    return list(inputs[max(common, last_user + 1) :])


def continues_after_tools(previous: LlmCall, following: LlmCall) -> bool:
    """Whether `following` is the agent loop's next model call after `previous` asked for
    tools: its input is `previous`'s input, then the assistant's tool calls and their
    results, with no new user message (zero-code instrumentation traces each model call
    on its own, so one user turn spans several traces)."""
    requested = previous.requested_tool_calls
    sent = len(previous.input_messages)
    inputs = following.input_messages
    if not requested or not sent or len(inputs) <= sent:
        return False
    if any(
        _message_key(mine) != _message_key(theirs)
        for mine, theirs in zip(inputs[:sent], previous.input_messages, strict=True)
    ):
        return False
    added = inputs[sent:]
    if any(m.role is Role.USER and m.text for m in added):
        return False
    asked = {p.call_id for p in requested}
    answered = {p.call_id for m in added for p in m.tool_results}
    return any(m.tool_calls for m in added) and bool(asked & answered)


def _known(part: Part, history: ToolHistory) -> bool:
    if part.call_id:
        return part.call_id in history.seen_call_ids
    return _signature(part) in history.seen_signatures


def _remember(part: Part, history: ToolHistory) -> None:
    if part.call_id:
        history.seen_call_ids.add(part.call_id)
    else:
        history.seen_signatures.add(_signature(part))


def _collect_requests(calls: Sequence[LlmCall], history: ToolHistory) -> list[_Request]:
    requests: list[_Request] = []
    for index, call in enumerate(calls):
        for message in new_input_messages(call.input_messages, history.previous_transcript):
            for part in message.tool_calls:
                if not _known(part, history):
                    requests.append(_Request(part, index, synthesised=True))
                    _remember(part, history)
        for part in call.requested_tool_calls:
            requests.append(_Request(part, index, synthesised=False))
            _remember(part, history)
        history.previous_transcript = (*call.input_messages, *call.output_messages)
    return requests


def _execution_name(execution: ToolExecution) -> str | None:
    return execution.facts.name or tool_name_from_span_name(execution.span.name)


def _in_time(execution: ToolExecution, request: _Request, calls: Sequence[LlmCall]) -> bool:
    """A tool runs after the model asked for it (or, for a request seen only in a later
    input, before that input was sent)."""
    call = calls[request.call_index]
    start = execution.span.start_time_unix_nano
    if request.synthesised:
        return start <= call.start_unix_nano
    return start >= call.start_unix_nano


def _ran_requested_arguments(
    execution: ToolExecution, request: _Request, calls: Sequence[LlmCall]
) -> bool:
    """The execution ran exactly the arguments asked for, before the model was called again."""
    arguments = request.part.arguments
    if arguments is None or execution.facts.arguments != arguments:
        return False
    following = request.call_index + 1
    return (
        request.synthesised
        or following >= len(calls)
        or execution.span.start_time_unix_nano < calls[following].start_unix_nano
    )


def _match_executions(
    requests: list[_Request],
    executions: Sequence[ToolExecution],
    name_candidates: Sequence[ToolExecution],
    calls: Sequence[LlmCall],
) -> list[ToolExecution]:
    """Link requests to executions in place; returns the executions nobody asked for."""
    used: set[str] = set()
    for request in requests:
        if not request.part.call_id:
            continue
        for execution in executions:
            if (
                execution.span.span_id not in used
                and execution.facts.call_id == request.part.call_id
            ):
                request.execution, request.linked_by = execution, LinkedBy.CALL_ID
                used.add(execution.span.span_id)
                break
    # Parallel calls of one tool may run in any order (concurrently, or as the runtime
    # schedules them): an execution that ran a request's own arguments is linked to it first,
    # the rest by time order.
    passes = [
        (pool, by_arguments)
        for pool in (executions, name_candidates)
        for by_arguments in (True, False)
    ]
    for pool, by_arguments in passes:
        for request in requests:
            if request.execution is not None or not request.part.name:
                continue
            for execution in pool:
                if execution.span.span_id in used:
                    continue
                # An execution that names another call id belongs to that call: as an
                # attribute, or as the call its result answers (a LangChain ToolMessage).
                other_id = execution.facts.call_id or execution.facts.result_call_id
                if other_id and request.part.call_id and other_id != request.part.call_id:
                    continue
                if not _in_time(execution, request, calls):
                    continue
                if by_arguments and not _ran_requested_arguments(execution, request, calls):
                    continue
                names = {_execution_name(execution), execution.span.name}
                if request.part.name in names:
                    request.execution, request.linked_by = execution, LinkedBy.NAME_ORDER
                    used.add(execution.span.span_id)
                    break
    return [e for e in executions if e.span.span_id not in used]


def _find_result(
    request: _Request, calls: Sequence[LlmCall], taken: set[tuple[int, int, int]]
) -> tuple[Part, LlmCall] | None:
    start = request.call_index if request.synthesised else request.call_index + 1
    call_id = request.part.call_id
    for j in range(start, len(calls)):
        for m, message in enumerate(calls[j].input_messages):
            for p, part in enumerate(message.tool_results):
                if (j, m, p) in taken:
                    continue
                if call_id and part.call_id == call_id:
                    return part, calls[j]
                if not call_id and part.name and part.name == request.part.name:
                    taken.add((j, m, p))
                    return part, calls[j]
    return None


def link_tool_calls(
    trace_id: str,
    calls: Sequence[LlmCall],
    executions: Sequence[ToolExecution],
    name_candidates: Sequence[ToolExecution] = (),
    history: ToolHistory | None = None,
) -> tuple[list[ToolCall], list[str]]:
    """The tool calls of one turn, and notes on what could not be found. Requested calls
    are in the order the model asked for them, after the model call that asked; tool spans
    nobody asked for are placed at their start.

    `executions` are tool spans; `name_candidates` are other spans that may have run a
    tool without saying so (a bare app span named like the tool, OTel 1.26).
    """
    history = history if history is not None else ToolHistory()
    requests = _collect_requests(calls, history)
    unrequested = _match_executions(requests, executions, name_candidates, calls)
    taken: set[tuple[int, int, int]] = set()
    anchored: list[tuple[int, ToolCall]] = []
    notes: list[str] = []
    for request in requests:
        anchor, tool = _build(trace_id, request, calls, taken)
        anchored.append((anchor, tool))
    for execution in unrequested:
        facts = execution.facts
        tool = ToolCall(
            name=_execution_name(execution) or execution.span.name,
            call_id=facts.call_id or facts.result_call_id,
            arguments=facts.arguments,
            result=facts.result,
            linked_by=LinkedBy.SPAN_ONLY,
            trace_id=trace_id,
            error=facts.error,
            execution_span_id=execution.span.span_id,
            start_unix_nano=execution.span.start_time_unix_nano,
            end_unix_nano=execution.span.end_time_unix_nano,
        )
        anchored.append((execution.span.start_time_unix_nano, tool))
    anchored.sort(key=lambda pair: pair[0])
    tools = [tool for _, tool in anchored]
    for tool in tools:
        if tool.result is None and tool.error is None:
            notes.append(f"tool call {tool.name} ({tool.call_id or 'no id'}): no result recorded")
    return tools, notes


def _build(
    trace_id: str, request: _Request, calls: Sequence[LlmCall], taken: set[tuple[int, int, int]]
) -> tuple[int, ToolCall]:
    part = request.part
    call = calls[request.call_index]
    execution = request.execution
    facts = execution.facts if execution is not None else ToolFacts()
    found = _find_result(request, calls, taken)
    result = facts.result
    result_span_id: str | None = None
    error = facts.error
    if found is not None:
        result_part, result_call = found
        result_span_id = result_call.span_id
        # A span paired by name may have run a sibling call (parallel calls of one tool run
        # concurrently): the result the next model call received under the request's own
        # call id is the right one. A span linked by call id keeps its own result.
        by_name = execution is not None and request.linked_by is not LinkedBy.CALL_ID
        if result is None or (by_name and part.call_id and result_part.result is not None):
            result = result_part.result
        if error is None and result_part.is_error:
            error = text_of(result_part.result) or "tool reported an error"
    if execution is not None:
        linked_by = request.linked_by or LinkedBy.NAME_ORDER
        # Requested calls are listed in the order the model asked for them (the sort is
        # stable): parallel calls may start in any order (CrewAI ran Tokyo before Paris).
        anchor = execution.span.start_time_unix_nano if request.synthesised else call.end_unix_nano
    elif request.synthesised:
        linked_by, anchor = LinkedBy.LLM_INPUT_ONLY, call.start_unix_nano
    else:
        linked_by, anchor = LinkedBy.REQUEST_ONLY, call.end_unix_nano
    tool = ToolCall(
        name=part.name or facts.name or "unknown",
        call_id=part.call_id or facts.call_id or facts.result_call_id,
        arguments=part.arguments if part.arguments is not None else facts.arguments,
        result=result,
        linked_by=linked_by,
        trace_id=trace_id,
        error=error,
        request_span_id=None if request.synthesised else call.span_id,
        execution_span_id=execution.span.span_id if execution is not None else None,
        result_span_id=result_span_id,
        start_unix_nano=execution.span.start_time_unix_nano if execution is not None else None,
        end_unix_nano=execution.span.end_time_unix_nano if execution is not None else None,
    )
    return anchor, tool
