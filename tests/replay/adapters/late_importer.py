"""A module the agent imports only once a replay has begun, binding a sealed function."""

from __future__ import annotations

from tests.replay.adapters.refunds import issue_refund

__all__ = ["issue_refund"]
