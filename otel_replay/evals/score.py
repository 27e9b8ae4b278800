"""The outcome of one evaluation, and how scores ride along in a replay run."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from otel_replay.errors import BadInputError
from otel_replay.replay.model import ReplayRun


class Score(BaseModel):
    """One evaluator's verdict on one turn (0-based `turn`) or on the session (`turn` None).

    `value` is what was measured (a similarity, a latency), None for yes/no checks.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluator: str
    turn: int | None = None
    passed: bool
    value: float | None = None
    detail: str = ""

    def as_json(self) -> dict[str, JsonValue]:
        return self.model_dump(mode="json")


def attach_scores(run: ReplayRun, scores: Sequence[Score]) -> ReplayRun:
    """The run with its `scores` replaced by these."""
    return run.model_copy(update={"scores": [score.as_json() for score in scores]})


def read_scores(run: ReplayRun) -> list[Score]:
    """The scores attached to a run."""
    try:
        return [Score.model_validate(data) for data in run.scores]
    except ValidationError as exc:
        raise BadInputError(f"run {run.run_id} holds a malformed score: {exc}") from exc
