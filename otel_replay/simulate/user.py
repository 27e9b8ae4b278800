"""After divergence: watch a replay turn by turn, and stop it or hand it to a simulated user.

`DivergenceSteering` is the replay runner's `steer` hook. After each recorded turn it asks
the transcript diff's rule (`diff.transcript.describe_divergence`: the tool-call sequence,
names and arguments in order, or the reply word for word, differs from the recording)
whether the turn diverged. Until one does, the recorded turns run in order. From the first
divergent turn on, `stop` ends the replay and `simulate` asks the simulated user for each
next message until it says its goal is met, the agent fails or answers nothing, or the
conversation reaches `max_turns`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, model_validator

from otel_replay.core.runs import (
    AfterDivergence,
    DivergenceWatch,
    ReplayRun,
    SimulationEnd,
    TurnOrigin,
)
from otel_replay.diff.transcript import describe_divergence
from otel_replay.replay.runner import FinishedTurn, original_side
from otel_replay.scenario.model import Scenario, ScenarioTurn, ScenarioUser, TurnMetrics
from otel_replay.simulate.model_client import UserModel, UserModelError, format_exchanges

DEFAULT_MAX_TURNS = 20
SIMULATED_NOTE = "simulated user"
# The session score that fails a run whose simulated user's model stopped answering.
SIMULATED_USER = "simulated_user"

SIMULATE_INSTRUCTIONS = (
    "You play the user in a conversation with an AI assistant, to test the assistant. Stay "
    "in character: write as the person described, in their style, with their facts. Write "
    "only the user's next message, as they would type it. When the assistant has done what "
    "you came for, do not write a message: say the goal is met. Answer with a single JSON "
    'object and nothing else: {"message": "the next message", "goal_met": false}, or '
    '{"message": null, "goal_met": true} when the goal is met.'
)


class _NextMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: str | None = None
    goal_met: bool = False

    @model_validator(mode="after")
    def _says_something(self) -> _NextMessage:
        if not self.goal_met and not (self.message and self.message.strip()):
            raise ValueError('a "message" is needed unless "goal_met" is true')
        return self


class SimulatedUser:
    """The user of a scenario played by a model: persona, goal, situation and the real
    user's phrasing go into the prompt with the conversation so far."""

    def __init__(self, user: ScenarioUser | None, model: UserModel) -> None:
        self.user = user or ScenarioUser()
        self.model = model

    def character(self) -> str:
        user = self.user
        lines = [
            f"Who you are: {user.persona or 'a customer of this assistant'}",
            f"Your goal: {user.goal or 'get what you came for'}",
            f"Your situation: {user.situation or '(as the conversation shows)'}",
        ]
        if user.examples:
            lines.append("How you wrote before (match this style):")
            lines.extend(f"- {example}" for example in user.examples)
        return "\n".join(lines)

    def next_message(self, exchanges: Sequence[tuple[str | None, str | None]]) -> str | None:
        """The user's next message, None when the user says the goal is met."""
        prompt = (
            f"{self.character()}\n\nThe conversation so far:\n{format_exchanges(exchanges)}"
            "\n\nYour next message, as JSON:"
        )
        answer = self.model.ask(SIMULATE_INSTRUCTIONS, prompt, _NextMessage)
        return None if answer.goal_met else answer.message


class DivergenceSteering:
    """The runner's `steer` hook for `--after-divergence stop|simulate`; `annotate` puts
    what it saw on the stored run."""

    def __init__(
        self,
        scenario: Scenario,
        mode: AfterDivergence,
        user: SimulatedUser | None = None,
        *,
        max_turns: int = DEFAULT_MAX_TURNS,
    ) -> None:
        if mode is AfterDivergence.SIMULATE and user is None:
            raise ValueError("simulate needs a simulated user")
        self.scenario = scenario
        self.mode = mode
        self.user = user
        self.max_turns = max_turns
        self._recorded = {turn.index for turn in scenario.turns}
        self._pending = [turn for turn in scenario.turns if turn.user is not None]
        self._next_index = max(self._recorded, default=-1) + 1
        # Every recorded tool call: a simulated turn's sealed tools answer from these.
        self._tools = [tool for turn in scenario.turns for tool in turn.tool_calls]
        self.exchanges: list[tuple[str | None, str | None]] = []
        self.divergent_turn: int | None = None
        self.reason: str | None = None
        self.ended_by = SimulationEnd.RECORDING_ENDED
        self.simulated = 0
        self.error: str | None = None

    def __call__(self, finished: FinishedTurn) -> ScenarioTurn | None:
        turn, replayed = finished.turn, finished.replayed
        self.exchanges.append((turn.user, replayed.assistant if replayed else None))
        if self._pending and self._pending[0].index == turn.index:
            self._pending.pop(0)
        if self.divergent_turn is None and turn.index in self._recorded:
            reason = (
                describe_divergence(original_side(turn), replayed)
                if replayed is not None
                else (finished.error or "the turn did not run")
            )
            if reason is not None:
                self.divergent_turn, self.reason = turn.index, reason
        if self.divergent_turn is None or self.mode is AfterDivergence.CONTINUE:
            return self._pending[0] if self._pending else None
        if self.mode is AfterDivergence.STOP:
            self.ended_by = SimulationEnd.STOPPED
            return None
        return self._simulate(finished)

    def _simulate(self, finished: FinishedTurn) -> ScenarioTurn | None:
        assert self.user is not None
        replayed = finished.replayed
        if finished.error is not None or replayed is None or not replayed.assistant:
            self.ended_by = SimulationEnd.AGENT_ENDED
            return None
        if len(self.exchanges) >= self.max_turns:
            self.ended_by = SimulationEnd.MAX_TURNS
            return None
        try:
            message = self.user.next_message(self.exchanges)
        except UserModelError as exc:
            self.ended_by, self.error = SimulationEnd.USER_MODEL_FAILED, str(exc)
            return None
        if message is None:
            self.ended_by = SimulationEnd.GOAL_MET
            return None
        self.simulated += 1
        index, self._next_index = self._next_index, self._next_index + 1
        return ScenarioTurn(
            index=index,
            trace_id="",
            span_id="",
            user=message,
            assistant=None,
            tool_calls=self._tools,
            metrics=TurnMetrics(latency_ms=0.0, llm_calls=0, tool_calls=0, errors=0),
            notes=[SIMULATED_NOTE],
        )

    def watch(self) -> DivergenceWatch:
        return DivergenceWatch(
            after_divergence=self.mode,
            divergent_turn=self.divergent_turn,
            reason=self.reason,
            ended_by=self.ended_by,
            simulated_turns=self.simulated,
            user_model=self.user.model.label if self.user is not None else None,
            error=self.error,
        )

    def annotate(self, run: ReplayRun) -> ReplayRun:
        """The run with the watch, and a note on each recorded turn the replay left out."""
        if self.divergent_turn is None:
            left_out = "not replayed: the replay ended before it"
        elif self.mode is AfterDivergence.STOP:
            left_out = (
                f"not replayed: the replay stopped at divergent turn {self.divergent_turn + 1}"
            )
        else:
            left_out = (
                f"not replayed: a simulated user took over after divergent turn "
                f"{self.divergent_turn + 1}"
            )
        turns = [
            turn.model_copy(update={"note": left_out})
            if turn.replayed is None
            and turn.origin is TurnOrigin.RECORDED
            and turn.user is not None
            else turn
            for turn in run.turns
        ]
        return run.model_copy(update={"divergence": self.watch(), "turns": turns})
