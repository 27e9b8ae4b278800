"""The conversation a replay actually played, as a scenario: what a saved case replays.

A regression case must replay the same way every time, without a user model. So a run whose
replay stopped at a divergent turn, or went on with a simulated user, is saved with the
scenario of what was played: the recorded turns it replayed, then the simulated turns as
turns of their own, their user messages fixed, and the agent's replies and tool results
from the run as the recording they are checked and played back against.
"""

from __future__ import annotations

from otel_replay.core.runs import ReplayedTurn, ReplayRun, TurnSide
from otel_replay.scenario.model import RecordedTool, Scenario, ScenarioTurn, TurnMetrics

FROZEN_LINK = "simulated"


def _frozen_turn(turn: ReplayedTurn, side: TurnSide, trace_id: str, run_id: str) -> ScenarioTurn:
    return ScenarioTurn(
        index=turn.index,
        trace_id=trace_id,
        span_id=turn.span_id or "",
        user=turn.user,
        assistant=side.assistant,
        tool_calls=[
            RecordedTool(
                name=call.name,
                arguments=call.arguments,
                result=call.result,
                error=call.error,
                trace_id=trace_id,
                linked_by=FROZEN_LINK,
            )
            for call in side.tool_calls
        ],
        metrics=TurnMetrics(
            latency_ms=side.latency_ms or 0.0,
            time_to_first_token_ms=side.time_to_first_token_ms,
            input_tokens=side.input_tokens,
            output_tokens=side.output_tokens,
            llm_calls=side.llm_calls,
            tool_calls=len(side.tool_calls),
            errors=side.errors,
        ),
        notes=[f"spoken by a simulated user in run {run_id}"],
    )


def played_scenario(scenario: Scenario, run: ReplayRun) -> Scenario:
    """The scenario as the run played it; the scenario itself when the run replayed every
    recorded turn and simulated none."""
    simulated = [t for t in run.turns if t.simulated and t.replayed is not None]
    replayed = {t.index for t in run.turns if not t.simulated and t.replayed is not None}
    left_out = [t for t in scenario.turns if t.user is not None and t.index not in replayed]
    if not simulated and not left_out:
        return scenario
    trace_id = run.trace_ids[0] if run.trace_ids else ""
    turns = [t for t in scenario.turns if t.user is None or t.index in replayed]
    turns += [_frozen_turn(t, t.replayed, trace_id, run.run_id) for t in simulated if t.replayed]
    note = (
        f"as played in run {run.run_id}: {len(left_out)} recorded turn(s) after the divergence "
        f"left out, {len(simulated)} simulated turn(s) kept as turns"
    )
    return scenario.model_copy(update={"turns": turns, "notes": [*scenario.notes, note]})
