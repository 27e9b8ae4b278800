"""The record of a replay run (per turn, the original and the replayed side) and its scores.

Below every package that makes, scores, diffs or reports runs, so none of them need another."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunStatus(StrEnum):
    """How a replay ended. Only `ok` means every turn ran; the others fail a run (exit 1)."""

    OK = "ok"  # every turn ran; differences are findings, not failures
    AGENT_FAILED = "agent_failed"  # the agent failed every turn (or could not be created)
    TURN_FAILED = "turn_failed"  # the agent failed or timed out in some turns
    INTERRUPTED = "interrupted"  # stopped by the user (Ctrl-C): the finished turns are kept
    # A recorded tool ran for real, neither sealed nor named live: a side effect was repeated.
    UNSEALED_TOOL = "unsealed_tool"


class HistoryMode(StrEnum):
    """Which assistant answers earlier turns show the agent."""

    REPLAYED = "replayed"  # what the agent itself answered in this replay
    RECORDED = "recorded"  # the recorded answers: each turn tested in isolation


class TurnOrigin(StrEnum):
    """Who spoke the user's side of a replayed turn."""

    RECORDED = "recorded"  # the real user's recorded message, sent again
    SIMULATED = "simulated"  # a simulated user's message, after the replay diverged


class AfterDivergence(StrEnum):
    """What a replay does once a turn diverges from its recording (`replay --after-divergence`)."""

    CONTINUE = "continue"  # send the remaining recorded user messages anyway
    STOP = "stop"  # end the replay at the divergent turn
    SIMULATE = "simulate"  # a simulated user carries the conversation on


class SimulationEnd(StrEnum):
    """Why a replay that watched for divergence ended."""

    RECORDING_ENDED = "recording_ended"  # every recorded turn was replayed
    STOPPED = "stopped"  # `stop`: ended at the divergent turn
    GOAL_MET = "goal_met"  # the simulated user said its goal was met
    AGENT_ENDED = "agent_ended"  # the agent failed or answered nothing
    MAX_TURNS = "max_turns"  # the turn limit was reached
    USER_MODEL_FAILED = "user_model_failed"  # the simulated user's model gave no usable answer


class ToolCallSummary(_Model):
    name: str
    arguments: JsonValue = None
    result: JsonValue = None
    error: str | None = None
    source: str | None = Field(
        default=None, description="recorded, live or unmatched (replayed side only)."
    )


class TurnSide(_Model):
    assistant: str | None
    tool_calls: list[ToolCallSummary] = Field(default_factory=list)
    latency_ms: float | None = None
    time_to_first_token_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    llm_calls: int = 0
    errors: int = 0
    llm_sources: list[str] = Field(
        default_factory=list,
        description="Per model call answered by the stand-in: recorded, live or unanswered.",
    )


class ReplayedTurn(_Model):
    index: int
    user: str | None
    original: TurnSide
    replayed: TurnSide | None
    original_trace_id: str
    original_span_id: str
    trace_id: str | None = None
    span_id: str | None = None
    error: str | None = None
    divergences: list[str] = Field(default_factory=list)
    note: str | None = None
    origin: TurnOrigin = Field(
        default=TurnOrigin.RECORDED,
        description="recorded: the real user's message; simulated: a simulated user's. A "
        "simulated turn has no original: its `original` side is empty and its index follows "
        "the recorded turns'.",
    )

    @property
    def simulated(self) -> bool:
        return self.origin is TurnOrigin.SIMULATED


# The session score of a run's expected outcome (the scenario's `user.expected_outcome`).
OUTCOME_EVALUATOR = "expected_outcome"


class Score(_Model):
    """One evaluator's verdict on one turn (0-based `turn`) or on the session (`turn` None).

    `value` is what was measured (a similarity, a latency), None for yes/no checks.
    """

    evaluator: str
    turn: int | None = None
    passed: bool
    value: float | None = None
    detail: str = ""


class DivergenceWatch(_Model):
    """How a replay watched for divergence, where it found it and how it ended.

    A turn diverges when its tool-call sequence (names and arguments, in order) or its reply
    (word for word) differs from the recording: the transcript diff's rule.
    """

    after_divergence: AfterDivergence
    divergent_turn: int | None = Field(
        default=None, description="0-based index of the first divergent turn; null if none."
    )
    reason: str | None = Field(default=None, description="What differed in that turn.")
    ended_by: SimulationEnd
    simulated_turns: int = 0
    user_model: str | None = Field(
        default=None, description="The simulated user's model (simulate only)."
    )
    error: str | None = Field(default=None, description="Why the user model failed, if it did.")


class ReplayRun(_Model):
    run_id: str
    scenario: str
    agent: str
    original_session_id: str
    session_id: str
    status: RunStatus
    started_unix_nano: int
    ended_unix_nano: int
    trace_ids: list[str]
    options: dict[str, JsonValue] = Field(default_factory=dict)
    turns: list[ReplayedTurn]
    scores: list[Score] = Field(default_factory=list)
    divergence: DivergenceWatch | None = Field(
        default=None, description="Set when the replay watched for divergence (stop, simulate)."
    )

    @property
    def passed(self) -> bool:
        """Every turn ran and every check passed."""
        return self.status is RunStatus.OK and all(score.passed for score in self.scores)

    @property
    def failed_turns(self) -> int:
        return sum(1 for t in self.turns if t.error is not None)

    def with_scores(self, scores: Sequence[Score]) -> ReplayRun:
        """This run with its scores replaced by these."""
        return self.model_copy(update={"scores": list(scores)})
