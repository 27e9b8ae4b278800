"""Attributes replaced on modules and classes for the duration of a replay, put back exactly."""

from __future__ import annotations

from collections.abc import Callable

_MISSING = object()


class Patches:
    """Replacements made on modules and classes, undone in reverse order.

    What was there is read from the owner's own namespace, so a class attribute that was
    inherited is deleted again rather than copied down, and a `staticmethod` or
    `classmethod` comes back as the descriptor it was."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def replace(self, owner: object, name: str, new: object) -> None:
        old = vars(owner).get(name, _MISSING)
        self._undo.append(
            lambda: delattr(owner, name) if old is _MISSING else setattr(owner, name, old)
        )
        setattr(owner, name, new)

    def on_restore(self, undo: Callable[[], None]) -> None:
        """Run `undo` when restoring, after the replacements made since (undone first)."""
        self._undo.append(undo)

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()
