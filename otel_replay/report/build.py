"""Build a `Report` from the diffs: pure, data in and data out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from otel_replay.core.records import Span, StatusCode
from otel_replay.core.runs import (
    OUTCOME_EVALUATOR,
    ReplayedTurn,
    ReplayRun,
    Score,
    TurnOrigin,
)
from otel_replay.core.values import to_json_value
from otel_replay.diff.metrics import (
    MetricDelta,
    MetricName,
    SessionMetrics,
    measure_transcript_diff,
)
from otel_replay.diff.span_tree import diff_span_trees
from otel_replay.diff.span_tree_model import AttributeChange, Delta, SpanTreeDiff
from otel_replay.diff.transcript import (
    ToolCallStep,
    TranscriptDiff,
    TranscriptToolCall,
    TranscriptTurn,
    TurnDiff,
    TurnStatus,
    diff_run_transcripts,
    diff_transcripts,
    format_tool_call,
    format_tool_change,
    transcript_from_conversation,
)
from otel_replay.diff.trials import flag_differences, summarise_trials
from otel_replay.report.model import (
    AttributeChangeView,
    ComparisonKind,
    IntDelta,
    MetricRow,
    MetricSpreadRow,
    MetricsTable,
    OutcomeRow,
    Report,
    ReportIdentity,
    ReportSummary,
    SideCount,
    SideIdentity,
    SpanDiffRow,
    SpanDiffSummary,
    SpanTreeSection,
    SpreadView,
    ToolCallStepView,
    ToolCallView,
    ToolSequenceView,
    ToolStabilityRow,
    TranscriptTurnView,
    TrialsSection,
    TurnMetricRows,
    TurnSideView,
    WordChange,
)
from otel_replay.semconv.model import Conversation

__all__ = ["build_comparison_report", "build_report"]


def build_report(
    run: ReplayRun,
    original_spans: Sequence[Span],
    replay_spans: Sequence[Span],
    trials: Sequence[ReplayRun] = (),
) -> Report:
    """The report of a replay run against the session it replayed.

    `original_spans` are the recorded traces of the scenario, `replay_spans` the run's own
    traces; `trials`, when given, are further runs of the same scenario whose spread is
    reported next to the original (the run itself is not counted unless it is among them).
    """
    transcript = diff_run_transcripts(run)
    identity = ReportIdentity(
        kind=ComparisonKind.REPLAY_RUN,
        original=SideIdentity(
            label="original",
            session_id=run.original_session_id,
            trace_ids=_unique(t.original_trace_id for t in run.turns if not t.simulated),
        ),
        replay=SideIdentity(label="replay", session_id=run.session_id, trace_ids=run.trace_ids),
        run_id=run.run_id,
        scenario=run.scenario,
        agent=run.agent,
        status=run.status.value,
        started_unix_nano=run.started_unix_nano,
        ended_unix_nano=run.ended_unix_nano,
    )
    run_turns = {turn.index + 1: turn for turn in run.turns}
    report = _assemble(
        identity,
        transcript,
        diff_span_trees(original_spans, replay_spans),
        run_turns,
        scores=run.scores,
        trials=_trials_section(trials) if trials else None,
    )
    return report.model_copy(update={"outcome": _outcome_row(run, report.metrics)})


def _side_count(rows: Mapping[MetricName, MetricRow], name: MetricName) -> SideCount:
    row = rows.get(name)
    return SideCount(original=row.original if row else None, replay=row.replay if row else None)


def _outcome_row(run: ReplayRun, metrics: MetricsTable) -> OutcomeRow | None:
    """The run's row: its outcome score and session totals; None for a plain replay."""
    outcome = next((s for s in run.scores if s.evaluator == OUTCOME_EVALUATOR), None)
    watch = run.divergence
    if watch is None and outcome is None:
        return None
    rows = {row.name: row for row in metrics.session}
    return OutcomeRow(
        scenario=run.scenario,
        reached=outcome.passed if outcome else None,
        detail=outcome.detail if outcome else None,
        turns=_side_count(rows, MetricName.TURNS),
        simulated_turns=sum(1 for t in run.turns if t.simulated and t.replayed is not None),
        tool_calls=_side_count(rows, MetricName.TOOL_CALLS),
        latency_ms=_side_count(rows, MetricName.LATENCY_MS),
        after_divergence=watch.after_divergence.value if watch else None,
        divergent_turn=watch.divergent_turn + 1
        if watch and watch.divergent_turn is not None
        else None,
        ended_by=watch.ended_by if watch else None,
    )


def build_comparison_report(
    original: Conversation,
    replay: Conversation,
    original_spans: Sequence[Span],
    replay_spans: Sequence[Span],
    *,
    labels: tuple[str, str] = ("original", "replay"),
) -> Report:
    """The report of any two sessions or traces: `replay` is read against `original`.

    Turns are aligned on the user's text, so a dropped or inserted turn shifts nothing.
    """
    transcript = diff_transcripts(
        transcript_from_conversation(original), transcript_from_conversation(replay)
    )
    identity = ReportIdentity(
        kind=ComparisonKind.SESSIONS,
        original=SideIdentity(
            label=labels[0], session_id=original.session_id, trace_ids=list(original.trace_ids)
        ),
        replay=SideIdentity(
            label=labels[1], session_id=replay.session_id, trace_ids=list(replay.trace_ids)
        ),
    )
    return _assemble(
        identity, transcript, diff_span_trees(original_spans, replay_spans), {}, (), None
    )


def _assemble(
    identity: ReportIdentity,
    transcript: TranscriptDiff,
    span_diff: SpanTreeDiff,
    run_turns: Mapping[int, ReplayedTurn],
    scores: Sequence[Score],
    trials: TrialsSection | None,
) -> Report:
    turns = [_turn_view(turn, run_turns.get(turn.number)) for turn in transcript.turns]
    span_tree = _span_tree_section(span_diff)
    summary = ReportSummary(
        turns=len(turns),
        changed_turns=sum(1 for t in turns if t.status is not TurnStatus.SAME),
        first_divergent_turn=transcript.first_divergent_turn,
        tool_changes=[t.tool_change for t in turns if t.tool_change is not None],
        identical=transcript.is_identical and span_tree.summary.identical,
    )
    return Report(
        identity=identity,
        summary=summary,
        transcript=turns,
        metrics=_metrics_table(measure_transcript_diff(transcript)),
        scores=list(scores),
        span_tree=span_tree,
        trials=trials,
    )


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _tool_view(call: TranscriptToolCall) -> ToolCallView:
    return ToolCallView(name=call.name, arguments=call.arguments, text=format_tool_call(call))


def _side_view(turn: TranscriptTurn | None) -> TurnSideView | None:
    if turn is None:
        return None
    return TurnSideView(
        assistant=turn.assistant,
        tool_calls=[_tool_view(call) for call in turn.tool_calls],
        trace_id=turn.trace_id,
    )


def _step_view(step: ToolCallStep) -> ToolCallStepView:
    return ToolCallStepView(
        status=step.status,
        original=_tool_view(step.original) if step.original else None,
        replay=_tool_view(step.replayed) if step.replayed else None,
    )


def _turn_view(turn: TurnDiff, run_turn: ReplayedTurn | None) -> TranscriptTurnView:
    anchor = turn.original or turn.replayed
    return TranscriptTurnView(
        number=turn.number,
        status=turn.status,
        user=anchor.user if anchor else None,
        original=_side_view(turn.original),
        replay=_side_view(turn.replayed),
        reply_diff=[WordChange(op=s.op, text=s.text) for s in turn.reply],
        reply_changed=turn.reply_changed,
        reply_similarity=round(turn.reply_similarity, 4),
        tool_calls=[_step_view(step) for step in turn.tool_calls],
        tool_change=format_tool_change(turn),
        error=run_turn.error if run_turn else None,
        note=run_turn.note if run_turn else None,
        divergences=list(run_turn.divergences) if run_turn else [],
        origin=turn.replayed.origin if turn.replayed else TurnOrigin.RECORDED,
    )


def _metric_row(delta: MetricDelta) -> MetricRow:
    return MetricRow(
        name=delta.name,
        original=delta.original,
        replay=delta.replayed,
        delta=delta.delta,
        percent=delta.percent,
    )


def _metrics_table(metrics: SessionMetrics) -> MetricsTable:
    return MetricsTable(
        session=[_metric_row(d) for d in metrics.session],
        turns=[
            TurnMetricRows(number=t.number, metrics=[_metric_row(d) for d in t.deltas])
            for t in metrics.turns
        ],
    )


def _change_view(change: AttributeChange) -> AttributeChangeView:
    return AttributeChangeView(
        key=change.key, original=to_json_value(change.before), replay=to_json_value(change.after)
    )


def _int_delta(delta: Delta | None) -> IntDelta | None:
    if delta is None:
        return None
    return IntDelta(
        original=delta.before, replay=delta.after, delta=delta.absolute, percent=delta.percent
    )


def _span_tree_section(diff: SpanTreeDiff) -> SpanTreeSection:
    rows: list[SpanDiffRow] = []
    for step in diff.walk():
        node = step.node
        rows.append(
            SpanDiffRow(
                depth=step.depth,
                status=node.status,
                original_name=node.original.name if node.original else None,
                replay_name=node.replay.name if node.replay else None,
                key=list(node.key),
                matched_by=node.matched_by,
                original_span_id=node.original.span_id if node.original else None,
                replay_span_id=node.replay.span_id if node.replay else None,
                original_error=_failed(node.original),
                replay_error=_failed(node.replay),
                attribute_changes=[_change_view(c) for c in node.attribute_changes],
                output_changes=[_change_view(c) for c in node.output_changes],
                duration_unix_nano=_int_delta(node.duration),
                input_tokens=_int_delta(node.input_tokens),
                output_tokens=_int_delta(node.output_tokens),
            )
        )
    summary = diff.summary
    return SpanTreeSection(
        summary=SpanDiffSummary(
            same=summary.same,
            added=summary.added,
            removed=summary.removed,
            changed=summary.changed,
            total=summary.total,
            identical=summary.is_identical,
        ),
        rows=rows,
    )


def _failed(span: Span | None) -> bool:
    return span is not None and span.status_code is StatusCode.ERROR


def _trials_section(trials: Sequence[ReplayRun]) -> TrialsSection:
    summary = summarise_trials(trials)
    flags = {(c.name, c.turn): c.beyond_noise for c in flag_differences(summary)}
    return TrialsSection(
        trials=summary.trials,
        metrics=[
            MetricSpreadRow(
                name=m.name,
                turn=None if m.turn is None else m.turn + 1,
                original=m.original,
                spread=None
                if m.spread is None
                else SpreadView(
                    count=m.spread.count,
                    minimum=m.spread.minimum,
                    maximum=m.spread.maximum,
                    mean=m.spread.mean,
                    stdev=m.spread.stdev,
                ),
                beyond_noise=flags.get((m.name, m.turn)),
            )
            for m in summary.metrics
        ],
        tool_sequences=[
            ToolStabilityRow(
                turn=s.turn + 1,
                original=list(s.original),
                sequences=[
                    ToolSequenceView(sequence=list(c.sequence), trials=c.trials) for c in s.counts
                ],
                stable=s.stable,
            )
            for s in summary.tool_sequences
        ],
    )
