"""A regression case: the scenario, the approved baseline run, and what must hold."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from otel_replay.core.runs import HistoryMode
from otel_replay.replay.matchers import ToolMatchMode
from otel_replay.scenario.model import Expectation

CASE_VERSION: Literal[1] = 1
CASE_FILE = "case.json"
# The marker every case.json carries: the pytest plugin (loaded in every project that installs
# otel-replay) collects a case.json only when it names this kind.
CASE_KIND: Literal["otel-replay/regression-case"] = "otel-replay/regression-case"
SCENARIO_FILE = "scenario.json"
BASELINE_FILE = "baseline.json"


class CaseOptions(BaseModel):
    """How the case is replayed: the same way its baseline was."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    history: HistoryMode = HistoryMode.REPLAYED
    tool_mode: ToolMatchMode = ToolMatchMode.STRICT
    live_tools: list[str] = Field(default_factory=list)


class RegressionCase(BaseModel):
    """`case.json`: edit `expectations` freely; `baseline.json` holds the approved run.

    An expectation equal to one that `default_expectations` derives from the baseline is
    derived: approving a new baseline replaces it with the new run's. Any other expectation
    (added, or a derived one edited) is the user's and is kept as it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = CASE_VERSION
    # Defaulted so a case saved without the marker still loads where it is named explicitly
    # (`otel-replay test FOLDER`); `model_dump` always writes it.
    kind: Literal["otel-replay/regression-case"] = CASE_KIND
    # Every file of a case counts turns from 0 (`turn` of an expectation, `index` of a
    # baseline turn); every message, report and JUnit name shows `turn + 1`.
    turn_numbering: Literal["0-based"] = "0-based"
    name: str
    agent: str | None = Field(default=None, description="MODULE:ATTR the baseline came from.")
    options: CaseOptions = Field(default_factory=CaseOptions)
    expectations: list[Expectation] = Field(default_factory=list)
    baseline_run_id: str
    outcome_judge: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint that checks the scenario's expected outcome "
        "(`user.expected_outcome`) on each rerun, unless `test --outcome-judge` or "
        "$OTEL_REPLAY_OUTCOME_JUDGE names another; a `user.outcome_rule` needs none.",
    )
