"""The optional `voice` extra: importing its packages with a clear message when absent."""

from __future__ import annotations

import importlib
from types import ModuleType

from otel_replay.core.errors import BadInputError

EXTRA_HINT = "pip install 'otel-replay[voice]'"


def require(module: str, purpose: str) -> ModuleType:
    """Import a module of the voice extra, or fail telling how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise BadInputError(
            f"{purpose} needs the voice extra ({EXTRA_HINT}); {module} is missing: {error}"
        ) from error
