"""Regression cases on disk: one folder per case holding case, scenario and baseline files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import ReplayRun
from otel_replay.regression.cassette import CASSETTE_FILE, CassetteDocument
from otel_replay.regression.model import (
    BASELINE_FILE,
    CASE_FILE,
    CASE_KIND,
    SCENARIO_FILE,
    CaseOptions,
    RegressionCase,
)
from otel_replay.scenario.files import dump_scenario, read_scenario
from otel_replay.scenario.model import Expectation, Scenario


@dataclass(frozen=True)
class LoadedCase:
    folder: Path
    case: RegressionCase
    scenario: Scenario
    baseline: ReplayRun
    cassette: CassetteDocument | None = None

    @property
    def name(self) -> str:
        return self.case.name


class CaseExistsError(BadInputError):
    """A save would overwrite a case folder that holds an approved baseline."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"{folder}: a regression case is already saved there; pass --force to replace "
            "its baseline, or `otel-replay approve RUN_ID` after review"
        )
        self.folder = folder


def case_folder_name(name: str) -> str:
    """A folder name from a case name: letters, digits, dot, dash and underscore."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "case"


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def case_folder(root: Path, scenario: Scenario, name: str | None = None) -> Path:
    """Where `save_case` puts the case of `scenario` under `root`."""
    return root / case_folder_name(name or scenario.name)


def refuse_existing_case(folder: Path) -> None:
    """CaseExistsError when `folder` already holds a regression case."""
    if (folder / CASE_FILE).exists():
        raise CaseExistsError(folder)


def save_case(
    root: Path,
    scenario: Scenario,
    baseline: ReplayRun,
    expectations: list[Expectation],
    options: CaseOptions,
    agent: str | None,
    name: str | None = None,
    *,
    cassette: CassetteDocument | None = None,
    force: bool = False,
    outcome_judge: str | None = None,
) -> Path:
    """Write a case folder under `root`; returns the folder. An existing case is replaced
    only with `force` (else CaseExistsError): its baseline was approved. `outcome_judge`:
    the endpoint that checked the scenario's expected outcome, kept for reruns."""
    case_name = name or scenario.name
    folder = case_folder(root, scenario, name)
    if not force:
        refuse_existing_case(folder)
    folder.mkdir(parents=True, exist_ok=True)
    case = RegressionCase(
        name=case_name,
        agent=agent,
        options=options,
        expectations=expectations,
        baseline_run_id=baseline.run_id,
        outcome_judge=outcome_judge,
    )
    (folder / SCENARIO_FILE).write_text(dump_scenario(scenario), encoding="utf-8")
    _write_json(folder / BASELINE_FILE, baseline.model_dump(mode="json"))
    _write_json(folder / CASE_FILE, case.model_dump(mode="json"))
    write_cassette(folder, cassette)
    return folder


def write_cassette(folder: Path, cassette: CassetteDocument | None) -> None:
    """Write the case's cassette; None removes a stale one (the baseline's calls are unknown)."""
    path = folder / CASSETTE_FILE
    if cassette is None:
        path.unlink(missing_ok=True)
    else:
        _write_json(path, cassette.model_dump(mode="json"))


def write_baseline(
    folder: Path, run: ReplayRun, case: RegressionCase, cassette: CassetteDocument | None
) -> None:
    """Promote a run to the case's baseline, with the case file and cassette that go with it
    (`case` already holds the new expectations)."""
    _write_json(folder / BASELINE_FILE, run.model_dump(mode="json"))
    updated = case.model_copy(update={"baseline_run_id": run.run_id})
    _write_json(folder / CASE_FILE, updated.model_dump(mode="json"))
    write_cassette(folder, cassette)


def _read_cassette(folder: Path) -> CassetteDocument | None:
    path = folder / CASSETTE_FILE
    if not path.exists():
        return None
    return CassetteDocument.model_validate_json(path.read_text(encoding="utf-8"))


def load_case(folder: Path) -> LoadedCase:
    """Read and validate a case folder; BadInputError names the file and the problem."""
    case_path = folder / CASE_FILE
    try:
        case = RegressionCase.model_validate_json(case_path.read_text(encoding="utf-8"))
        baseline = ReplayRun.model_validate_json(
            (folder / BASELINE_FILE).read_text(encoding="utf-8")
        )
        cassette = _read_cassette(folder)
    except FileNotFoundError as exc:
        raise BadInputError(
            f"{folder}: regression case is missing {Path(exc.filename).name}"
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInputError(f"{folder}: invalid regression case: {where}: {first['msg']}") from None
    return LoadedCase(folder, case, read_scenario(folder / SCENARIO_FILE), baseline, cassette)


def is_case_file(path: Path) -> bool:
    """Whether `path` is a case.json that otel-replay wrote: it names the regression-case kind.

    Any other file, including one that cannot be read or parsed, is simply not a case.
    """
    if path.name != CASE_FILE:
        return False
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):  # unreadable, not UTF-8, not JSON, too deep
        return False
    return isinstance(data, dict) and data.get("kind") == CASE_KIND


def find_case_folders(paths: Iterable[Path]) -> list[Path]:
    """Every folder holding a case.json at or below the given paths, sorted."""
    found: set[Path] = set()
    for path in paths:
        if path.is_file() and path.name == CASE_FILE:
            found.add(path.parent)
        elif path.is_dir():
            found.update(p.parent for p in path.rglob(CASE_FILE))
        else:
            raise BadInputError(f"{path}: no such regression case folder")
    return sorted(found)
