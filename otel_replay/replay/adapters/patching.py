"""Attributes replaced on modules and classes for the duration of a replay, put back exactly."""

from __future__ import annotations

_MISSING = object()


class Patches:
    """Replacements made on modules and classes, undone in reverse order.

    What was there is read from the owner's own namespace, so a class attribute that was
    inherited is deleted again rather than copied down, and a `staticmethod` or
    `classmethod` comes back as the descriptor it was."""

    def __init__(self) -> None:
        self._undo: list[tuple[object, str, object]] = []

    def replace(self, owner: object, name: str, new: object) -> None:
        self._undo.append((owner, name, vars(owner).get(name, _MISSING)))
        setattr(owner, name, new)

    def restore(self) -> None:
        while self._undo:
            owner, name, old = self._undo.pop()
            if old is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, old)
