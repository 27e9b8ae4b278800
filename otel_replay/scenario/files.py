"""Scenario and graph files: the only file I/O of scenarios, with validation and migration."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from otel_replay.core.errors import BadInputError
from otel_replay.scenario.model import SCENARIO_KIND, SCENARIO_VERSION, Scenario
from otel_replay.session.graph import graph_to_dot, graph_to_node_link

# Each entry upgrades a document from version N to N+1. There is one format so far.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def dump_scenario(scenario: Scenario) -> str:
    """Scenario as JSON text: two-space indent, fields in model order, one trailing newline."""
    return json.dumps(scenario.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def load_scenario(text: str, name: str = "scenario") -> Scenario:
    """Parse, migrate and validate a scenario; BadInputError says what is wrong and where."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadInputError(f"{name}: not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != SCENARIO_KIND:
        raise BadInputError(f"{name}: not an otel-replay scenario (kind must be {SCENARIO_KIND!r})")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise BadInputError(f"{name}: version must be a positive integer, got {version!r}")
    if version > SCENARIO_VERSION:
        raise BadInputError(
            f"{name}: scenario version {version} is newer than this otel-replay reads "
            f"({SCENARIO_VERSION}): upgrade otel-replay"
        )
    while version < SCENARIO_VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors()[:5]
        ]
        more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise BadInputError(f"{name}: invalid scenario: {'; '.join(problems)}{more}") from None


def write_scenario(scenario: Scenario, path: str | Path) -> None:
    Path(path).write_text(dump_scenario(scenario), encoding="utf-8")


def read_scenario(path: str | Path) -> Scenario:
    target = Path(path)
    if not target.is_file():
        raise BadInputError(f"{path}: no such scenario file")
    return load_scenario(target.read_text(encoding="utf-8"), str(path))


def write_graph(graph: nx.MultiDiGraph, path: str | Path) -> None:
    """Write a conversation graph by extension: .json (node-link), .graphml, .dot or .gv."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".json":
        target.write_text(
            json.dumps(graph_to_node_link(graph), indent=2, ensure_ascii=False) + "\n"
        )
    elif suffix == ".graphml":
        nx.write_graphml(graph, str(target))
    elif suffix in (".dot", ".gv"):
        target.write_text(graph_to_dot(graph), encoding="utf-8")
    else:
        raise BadInputError(
            f"unknown graph format {suffix or '(none)'!r}: use .json, .graphml or .dot"
        )
