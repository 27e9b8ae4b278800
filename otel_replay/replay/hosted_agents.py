"""The agent factory of a hosted reference (`vapi://`, `retell://`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_replay.replay.agents import AgentFactory
from otel_replay.replay.hosted import HostedClient, HostedPlatform, HostedRef
from otel_replay.replay.hosted_retell import retell_agent
from otel_replay.replay.hosted_vapi import vapi_agent


def hosted_agent(
    ref: HostedRef, timeout: float, variables: Mapping[str, Any] | None = None
) -> AgentFactory:
    """Sessions of the hosted agent, sent the recorded call's prompt `variables` (Vapi's
    `assistantOverrides.variableValues`, Retell's `dynamic_variables`); BadInputError when
    its key is not in the environment."""
    client = HostedClient.from_env(ref.platform, timeout)
    if ref.platform is HostedPlatform.VAPI:
        return vapi_agent(client, ref.agent_id, dict(variables or {}))
    return retell_agent(client, ref.agent_id, ref.version, variables)
