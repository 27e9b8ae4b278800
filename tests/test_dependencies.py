"""Every third-party module the package imports comes from a declared runtime dependency.

CI installs the dev extra too, so a missing runtime dependency would pass CI and break
`pip install . && otel-replay demo` on a fresh machine (it happened once: the OTLP/gRPC
exporter). Namespace packages (`opentelemetry.*`, `google.*`) are resolved module by
module, to the distribution that ships the imported file.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import tomllib
from importlib.metadata import distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Loaded only by pytest itself, which is what provides it.
PYTEST_ONLY = {"otel_replay/pytest_plugin.py"}
# Packages whose modules are imported only once their extra is checked for
# (`otel_replay.ui.require_ui_extra`): they may also import that extra's dependencies.
EXTRA_PACKAGES = {"otel_replay/ui/": "ui"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules(extra: str | None = None) -> set[str]:
    """The third-party modules the package imports outside every extra's package (or, given
    an extra, inside its package)."""
    found: set[str] = set()
    for path in (ROOT / "otel_replay").rglob("*.py"):
        relative = str(path.relative_to(ROOT))
        if relative in PYTEST_ONLY:
            continue
        owning = next(
            (x for prefix, x in EXTRA_PACKAGES.items() if relative.startswith(prefix)), None
        )
        if owning != extra:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from google.rpc import status_pb2` imports a module of a namespace package.
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {
        m
        for m in found
        if m.split(".")[0] not in sys.stdlib_module_names
        and m.split(".")[0] != "otel_replay"
        and m != "__future__"
    }


def _file_owners(top_levels: set[str]) -> dict[Path, str]:
    owners: dict[Path, str] = {}
    for distribution in distributions():
        for file in distribution.files or ():
            if file.parts[0] in top_levels and file.suffix in (".py", ".so", ".pyd"):
                owners[Path(str(distribution.locate_file(file))).resolve()] = _canonical(
                    distribution.metadata["Name"]
                )
    return owners


def _module_of(name: str) -> str:
    """`a.b.c` when it is a module, else `a.b` (c was a class or function imported from it)."""
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        spec = None
    return name if spec is not None and spec.origin else name.rpartition(".")[0]


def _declared(requirements: list[str]) -> set[str]:
    return {_canonical(re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0]) for r in requirements}


@pytest.mark.parametrize("extra", [None, *sorted(set(EXTRA_PACKAGES.values()))])
def test_every_imported_module_comes_from_a_runtime_dependency(extra: str | None) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _declared(project["dependencies"])
    if extra is not None:
        declared |= _declared(project["optional-dependencies"][extra])
    imported = _imported_modules(extra)
    owners = _file_owners({m.split(".")[0] for m in imported})
    undeclared: dict[str, str] = {}
    for name in sorted(imported):
        module = _module_of(name)
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin, f"cannot locate {module!r}"
        owner = owners.get(Path(spec.origin).resolve())
        assert owner is not None, f"no installed distribution ships {spec.origin}"
        if owner not in declared:
            undeclared[name] = owner
    assert undeclared == {}
