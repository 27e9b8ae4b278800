"""Approving a run as a case's baseline: baseline, expectations and cassette move together.

Which expectations are derived: those equal to one `default_expectations` derives from the
current baseline (the per-turn tool sequence and reply similarity `replay --save` writes).
They are replaced by the new run's. Any other expectation, one the user added or a derived
one the user edited, is the user's and is kept unchanged, after the derived ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from otel_replay.core.runs import ReplayRun
from otel_replay.evals.evaluate import default_expectations
from otel_replay.regression.cassette import CassetteDocument
from otel_replay.regression.files import LoadedCase, write_baseline
from otel_replay.scenario.model import Expectation


@dataclass(frozen=True)
class TurnToolChange:
    """One turn (0-based `turn`) whose tool sequence the new baseline changes."""

    turn: int
    old: tuple[str, ...] | None  # None: the turn was not replayed
    new: tuple[str, ...] | None

    def describe(self) -> str:
        return f"turn {self.turn + 1}: {_sequence(self.old)} -> {_sequence(self.new)}"


def _sequence(names: tuple[str, ...] | None) -> str:
    if names is None:
        return "(not replayed)"
    return f"[{', '.join(names)}]" if names else "[no tools]"


@dataclass(frozen=True)
class BaselineChange:
    """What approving a run changed in one case."""

    case: str
    folder: Path
    old_run_id: str
    new_run_id: str
    tool_changes: tuple[TurnToolChange, ...]
    user_expectations: int  # kept as they were
    cassette_exchanges: int | None  # None: the case has no cassette now
    cassette_note: str = ""

    def describe(self) -> str:
        lines = [f"baseline of {self.case} ({self.folder}): {self.old_run_id} -> {self.new_run_id}"]
        lines += [f"  {c.describe()}" for c in self.tool_changes]
        if not self.tool_changes:
            lines.append("  tool sequences unchanged")
        if self.user_expectations:
            lines.append(f"  kept {self.user_expectations} user expectation(s)")
        if self.cassette_exchanges is not None:
            lines.append(f"  cassette: {self.cassette_exchanges} LLM exchange(s)")
        if self.cassette_note:
            lines.append(f"  {self.cassette_note}")
        return "\n".join(lines)


def _tools_by_turn(run: ReplayRun) -> dict[int, tuple[str, ...] | None]:
    return {
        t.index: None if t.replayed is None else tuple(c.name for c in t.replayed.tool_calls)
        for t in run.turns
    }


def diff_tool_sequences(old: ReplayRun, new: ReplayRun) -> tuple[TurnToolChange, ...]:
    """Per turn, the tool sequences that differ between two runs of one scenario."""
    before, after = _tools_by_turn(old), _tools_by_turn(new)
    return tuple(
        TurnToolChange(turn, before.get(turn), after.get(turn))
        for turn in sorted({*before, *after})
        if before.get(turn) != after.get(turn)
    )


def user_expectations(expectations: list[Expectation], baseline: ReplayRun) -> list[Expectation]:
    """The expectations not derived from `baseline` (see the module's docstring)."""
    derived = default_expectations(baseline)
    return [e for e in expectations if e not in derived]


def approve_run(
    loaded: LoadedCase,
    run: ReplayRun,
    cassette: CassetteDocument | None,
    cassette_note: str = "",
) -> BaselineChange:
    """Make `run` the case's baseline: rewrite baseline.json, the derived expectations of
    case.json and cassette.json together."""
    kept = user_expectations(loaded.case.expectations, loaded.baseline)
    case = loaded.case.model_copy(update={"expectations": [*default_expectations(run), *kept]})
    write_baseline(loaded.folder, run, case, cassette)
    return BaselineChange(
        case=loaded.name,
        folder=loaded.folder,
        old_run_id=loaded.baseline.run_id,
        new_run_id=run.run_id,
        tool_changes=diff_tool_sequences(loaded.baseline, run),
        user_expectations=len(kept),
        cassette_exchanges=None if cassette is None else cassette.exchange_count,
        cassette_note=cassette_note,
    )
