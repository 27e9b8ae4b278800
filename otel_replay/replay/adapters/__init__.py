"""Sealing the tools of agent frameworks, and functions named by import path, during replays.

`@otel_replay.tool` seals a tool its author decorated. An agent built on a framework runs
its tools through the framework, so each adapter here replaces the framework's own
tool-execution point with one that answers from the recording when a replay is running:

- LangChain / LangGraph (`langchain-core`): `BaseTool.run` and `BaseTool.arun`;
- OpenAI Agents SDK (`openai-agents`): the runner's function-tool invocation;
- MCP clients (`mcp`): `ClientSession.call_tool`;
- any function or method named `MODULE:FUNCTION` or `MODULE:CLASS.METHOD` (`--seal`).

All of them take the same path as the decorator (`otel_replay.replay.tools.SealedCall`):
the same matching, the same refusals, and the same `execute_tool` span, so the run and the
tripwire see the call as sealed. Tools named live run for real, and with no replay running
the replaced points call straight through to the framework.

The frameworks are optional: an adapter module is imported only when its framework is
installed, and imports the framework with `importlib` (as `evals.embeddings` does its
optional model), so a plain install never needs them.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import logging
import sys
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from otel_replay.replay.adapters.import_path import (
    SealTarget,
    SealTargetError,
    install_seal,
    parse_seal_target,
    seal_target_key,
)
from otel_replay.replay.adapters.patching import Patches

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Framework:
    """An agent framework with an adapter: its distribution, its top-level module, and the
    adapter module here (imported only when the framework is installed)."""

    distribution: str
    module: str
    adapter: str


FRAMEWORKS = (
    Framework("langchain-core", "langchain_core", "langchain_tools"),
    Framework("openai-agents", "agents", "agents_sdk"),
    Framework("mcp", "mcp", "mcp_client"),
)


@dataclass
class _Installed:
    patches: Patches
    users: int
    tool_name: str = ""


# Replays run concurrently (`replay_many`) and each seals around itself: a patch is installed
# by the first and restored by the last, so none is restored under a replay still running.
_LOCK = threading.Lock()
_INSTALLED: dict[Hashable, _Installed] = {}


def _is_installed(framework: Framework) -> bool:
    # find_spec on a top-level name imports nothing; the distribution check keeps a project's
    # own `agents` package from being taken for the SDK.
    if importlib.util.find_spec(framework.module) is None:
        return False
    try:
        importlib.metadata.distribution(framework.distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _install_framework(framework: Framework) -> Patches | None:
    try:
        adapter = importlib.import_module(f"{__name__}.{framework.adapter}")
        patches: Patches = adapter.install()
    except (ImportError, AttributeError) as exc:
        version = importlib.metadata.version(framework.distribution)
        _log.warning(
            "%s %s is installed but its tools cannot be sealed (%s: %s): a recorded tool it "
            "runs during a replay runs for real, and the tripwire fails the run if it sees it",
            framework.distribution,
            version,
            type(exc).__name__,
            exc,
        )
        return None
    return patches


def _acquire(key: Hashable, install: Callable[[], Patches | None], tool_name: str = "") -> bool:
    installed = _INSTALLED.get(key)
    if installed is None:
        patches = install()
        if patches is None:
            return False
        _INSTALLED[key] = _Installed(patches, 1, tool_name)
    else:
        installed.users += 1
    return True


def _release(key: Hashable) -> None:
    installed = _INSTALLED[key]
    installed.users -= 1
    if installed.users == 0:
        del _INSTALLED[key]
        installed.patches.restore()


def _seal_key(target: SealTarget) -> tuple[tuple[str, int], str]:
    """The key a sealed function is installed under, and its tool name."""
    function_id, tool_name = seal_target_key(target)
    key = ("seal", function_id)
    installed = _INSTALLED.get(key)
    if installed is not None and installed.tool_name != tool_name:
        raise SealTargetError(
            f"--seal {target}: a replay running in this process seals this function as tool "
            f"{installed.tool_name}, not {tool_name}"
        )
    return key, tool_name


def _acquire_all(targets: list[SealTarget]) -> list[Hashable]:
    acquired: list[Hashable] = []
    try:
        for framework in FRAMEWORKS:
            framework_key = ("framework", framework.adapter)
            install = functools.partial(_install_framework, framework)
            # Only a framework the process has imported is patched: importing one the agent
            # does not use would cost seconds (the Agents SDK alone about 4.6 s).
            loaded = framework.module in sys.modules and _is_installed(framework)
            if loaded and _acquire(framework_key, install):
                acquired.append(framework_key)
        for target in targets:
            seal_key, tool_name = _seal_key(target)
            _acquire(seal_key, functools.partial(install_seal, target), tool_name)
            acquired.append(seal_key)
    except BaseException:
        for key in reversed(acquired):
            _release(key)
        raise
    return acquired


@contextmanager
def sealed_frameworks(seal: Iterable[str] = ()) -> Iterator[None]:
    """Seal framework tools and the functions named in `seal` while the block runs.

    On entry, each framework with an adapter that the process has imported (LangChain /
    LangGraph tools, OpenAI Agents SDK function tools, MCP client tool calls; so enter after
    the agent is loaded) has its tool-execution point replaced,
    and each `seal` entry, `MODULE:FUNCTION` or `MODULE:CLASS.METHOD` (optionally
    `=TOOL_NAME` when the recording names the tool otherwise), is replaced by a sealed
    wrapper; on exit everything is put back as it was. Frameworks that are not installed are
    not imported. Inside a replay turn a call answers from the recording as `@otel_replay.tool`
    does; outside any replay it runs unchanged. Blocks may nest and run in several threads at
    once: a replacement lasts until the last block using it ends.

    Raises `SealTargetError` (a `BadInputError`) for a `seal` entry that is malformed, cannot
    be imported, or names no function; then nothing is left replaced."""
    targets = [parse_seal_target(text) for text in sorted(set(seal))]
    with _LOCK:
        acquired = _acquire_all(targets)
    try:
        yield
    finally:
        with _LOCK:
            for key in reversed(acquired):
                _release(key)


__all__ = ["FRAMEWORKS", "Framework", "SealTarget", "SealTargetError", "sealed_frameworks"]
