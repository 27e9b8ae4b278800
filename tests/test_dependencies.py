"""Every third-party module the package imports is a declared runtime dependency.

CI installs the dev extra too, so a missing runtime dependency would pass CI and break
`pip install . && otel-replay demo` on a fresh machine (it happened once).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Loaded only by pytest itself, which is what provides it.
PYTEST_ONLY = {"otel_replay/pytest_plugin.py"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_levels() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "otel_replay").rglob("*.py"):
        if str(path.relative_to(ROOT)) in PYTEST_ONLY:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"otel_replay", "__future__"}


def test_every_imported_distribution_is_a_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {
        _canonical(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])
        for requirement in project["dependencies"]
    }
    providers = packages_distributions()
    missing: dict[str, list[str]] = {}
    for module in sorted(_imported_top_levels()):
        distributions = {_canonical(d) for d in providers.get(module, [])}
        assert distributions, f"no installed distribution provides {module!r}"
        if not distributions & declared:
            missing[module] = sorted(distributions)
    assert missing == {}
