"""A plain, undecorated tool with a side effect, and an agent calling it (for `--seal`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.replay import seal_targets

SIDE_EFFECT_ENV = "OTEL_REPLAY_TEST_SIDE_EFFECT"


def check_status(order_id: str) -> dict[str, str]:
    Path(os.environ[SIDE_EFFECT_ENV]).write_text(f"looked up {order_id}")
    return {"order_id": order_id, "status": "live lookup"}


def agent(messages: list[dict[str, Any]]) -> str:
    """Looks the order up where the customer asks for its status (turn 3, as recorded)."""
    text = str(messages[-1]["content"])
    if "status of order 123" in text:
        # Through the module attribute, as callers of an imported function do.
        return f"Order 123: {seal_targets.check_status(order_id='123')['status']}."
    return "How can I help?"
