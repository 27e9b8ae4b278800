"""Sealing a callable named by import path (`--seal MODULE:FUNCTION`, `MODULE:CLASS.METHOD`).

For the duration of a replay the function is replaced by a sealed wrapper that behaves like
`@otel_replay.tool`, except that outside a replay it calls the function with no span of its
own. A module function is replaced wherever a loaded module holds it as a global, so an
agent that did `from refunds import issue_refund` before the replay calls the sealed one;
references kept elsewhere (a list or dict of tools) are not reached, so name the function
the way the agent looks it up, or decorate it with `@otel_replay.tool`.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from otel_replay.core.errors import BadInputError
from otel_replay.replay.adapters.patching import Patches
from otel_replay.replay.tools import seal_function

_ORIGINAL = "__otel_replay_sealed__"  # on a sealed wrapper: the function it stands in for


class SealTargetError(BadInputError):
    """A `--seal` import path that is malformed, cannot be imported, or names no function."""


@dataclass(frozen=True)
class SealTarget:
    """A function to seal: its module, the attribute path in it, and the recorded tool name
    (by default the function's own name)."""

    module: str
    path: tuple[str, ...]
    tool_name: str | None = None

    def __str__(self) -> str:
        text = f"{self.module}:{'.'.join(self.path)}"
        return f"{text}={self.tool_name}" if self.tool_name else text


def _dotted(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


def parse_seal_target(text: str) -> SealTarget:
    """`MODULE:FUNCTION` or `MODULE:CLASS.METHOD`, optionally `=TOOL_NAME` when the recording
    names the tool otherwise."""
    spec, equals, tool_name = text.strip().partition("=")
    module, colon, attribute = spec.partition(":")
    if not colon or not _dotted(module) or not _dotted(attribute) or (equals and not tool_name):
        raise SealTargetError(
            f"--seal {text!r}: expected MODULE:FUNCTION or MODULE:CLASS.METHOD, "
            "optionally followed by =TOOL_NAME (e.g. shop.refunds:issue_refund)"
        )
    return SealTarget(module, tuple(attribute.split(".")), tool_name or None)


@dataclass(frozen=True)
class _Resolved:
    """Where the target lives: its owner (a module or a class), the attribute, the function,
    and how the owner holds it."""

    owner: object
    attribute: str
    function: Callable[..., Any]
    kind: Literal["function", "method", "staticmethod", "classmethod"]


def _unsealed(function: Callable[..., Any]) -> Callable[..., Any]:
    original: Callable[..., Any] = getattr(function, _ORIGINAL, function)
    return original


def _resolve(target: SealTarget) -> _Resolved:
    try:
        owner: object = importlib.import_module(target.module)
    except ImportError as exc:
        raise SealTargetError(f"--seal {target}: cannot import {target.module}: {exc}") from exc
    *parents, attribute = target.path
    for part in parents:
        owner = getattr(owner, part, None)
        if owner is None:
            raise SealTargetError(f"--seal {target}: {target.module} has no {part}")
    if isinstance(owner, type):
        raw = inspect.getattr_static(owner, attribute, None)
        if isinstance(raw, staticmethod):
            return _Resolved(owner, attribute, _unsealed(raw.__func__), "staticmethod")
        if isinstance(raw, classmethod):
            return _Resolved(owner, attribute, _unsealed(raw.__func__), "classmethod")
        if inspect.isfunction(raw):
            return _Resolved(owner, attribute, _unsealed(raw), "method")
    elif isinstance(owner, types.ModuleType):
        raw = vars(owner).get(attribute)
        if inspect.isfunction(raw):
            return _Resolved(owner, attribute, _unsealed(raw), "function")
    else:
        raise SealTargetError(
            f"--seal {target}: {'.'.join(parents)} is neither a module nor a class"
        )
    found = "nothing" if raw is None else type(raw).__name__
    raise SealTargetError(
        f"--seal {target}: expected a Python function or method, found {found}; a tool "
        "object of an agent framework is sealed by its framework's adapter"
    )


def seal_target_key(target: SealTarget) -> tuple[int, str]:
    """What identifies an installed seal: the function (however it is named) and its tool name."""
    resolved = _resolve(target)
    return id(resolved.function), target.tool_name or resolved.function.__name__


def _rebind_globals(old: object, new: object, patches: Patches) -> None:
    """Every loaded module's global bound to `old` is bound to `new` instead."""
    for module in list(sys.modules.values()):
        if not isinstance(module, types.ModuleType):
            continue
        for name, value in list(vars(module).items()):
            if value is old:
                patches.replace(module, name, new)


def install_seal(target: SealTarget) -> Patches:
    """Replace the target by its sealed wrapper; the returned patches put it back."""
    resolved = _resolve(target)
    function = resolved.function
    patches = Patches()
    if resolved.kind == "function":
        wrapper = seal_function(function, target.tool_name, span_outside_replay=False)
        setattr(wrapper, _ORIGINAL, function)
        # Last of all, modules imported during the replay that took the wrapper give it back.
        patches.on_restore(lambda: _rebind_globals(wrapper, function, Patches()))
        _rebind_globals(function, wrapper, patches)
        return patches
    bound = resolved.kind != "staticmethod"
    method = seal_function(function, target.tool_name, skip_first=bound, span_outside_replay=False)
    setattr(method, _ORIGINAL, function)
    replacement: object = method
    if resolved.kind == "staticmethod":
        replacement = staticmethod(method)
    elif resolved.kind == "classmethod":
        replacement = classmethod(method)
    patches.replace(resolved.owner, resolved.attribute, replacement)
    return patches
