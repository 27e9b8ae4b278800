"""The agent factory of a hosted reference (`vapi://`, `retell://`)."""

from __future__ import annotations

from otel_replay.replay.agents import AgentFactory
from otel_replay.replay.hosted import HostedClient, HostedPlatform, HostedRef
from otel_replay.replay.hosted_retell import retell_agent
from otel_replay.replay.hosted_vapi import vapi_agent


def hosted_agent(ref: HostedRef, timeout: float) -> AgentFactory:
    """Sessions of the hosted agent; BadInputError when its key is not in the environment."""
    client = HostedClient.from_env(ref.platform, timeout)
    if ref.platform is HostedPlatform.VAPI:
        return vapi_agent(client, ref.agent_id)
    return retell_agent(client, ref.agent_id, ref.version)
