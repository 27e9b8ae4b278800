"""What a command names, resolved: scenario files, folders, sessions, traces, runs, agents."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from otel_replay.app.conversations import (
    load_conversation,
    load_trace_conversation,
    session_scenario,
    session_trace_scenarios,
)
from otel_replay.core.errors import BadInputError, NotFoundError
from otel_replay.core.records import Span
from otel_replay.core.runs import ReplayRun
from otel_replay.replay.agents import AgentFactory, http_agent, load_agent
from otel_replay.replay.hosted import HostedRef, parse_hosted_ref
from otel_replay.replay.hosted_agents import hosted_agent
from otel_replay.replay.runner import load_run
from otel_replay.scenario.emit import emit_trace_scenarios_from
from otel_replay.scenario.files import read_scenario
from otel_replay.scenario.model import Scenario
from otel_replay.semconv.model import Conversation
from otel_replay.store.base import SpanStore


class ReplayMode(StrEnum):
    """How a target's conversations are replayed."""

    SESSION = "session"  # the whole session, turn by turn
    TRACE = "trace"  # every trace as an independent one-turn conversation


def resolve_scenarios(store: SpanStore, target: str, mode: ReplayMode) -> list[Scenario]:
    """A folder of scenario files, one scenario file, or a stored session id."""
    path = Path(target)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise BadInputError(f"{target}: folder holds no scenario files (*.json)")
        return [read_scenario(f) for f in files]
    if path.suffix == ".json" or path.exists():
        scenario = read_scenario(path)
        return emit_trace_scenarios_from(scenario) if mode is ReplayMode.TRACE else [scenario]
    if mode is ReplayMode.TRACE:
        return session_trace_scenarios(store, target)
    return [session_scenario(store, target)]


@dataclass(frozen=True)
class AgentTarget:
    """The agent under test, loaded: how to start its sessions, and how runs name it."""

    factory: AgentFactory
    ref: AgentRef

    @property
    def label(self) -> str:
        return self.ref.label

    def factory_for(self, scenario: Scenario) -> AgentFactory:
        """How to start the agent's sessions for one scenario: a hosted agent is sent the
        values the recorded call's prompt variables had (the scenario's voice snapshot);
        any other agent is the same for every scenario."""
        voice = scenario.agent.voice
        if self.ref.hosted is None or voice is None or not voice.variables:
            return self.factory
        return hosted_agent(self.ref.hosted, self.ref.hosted_timeout, voice.variables)


@dataclass(frozen=True)
class AgentRef:
    """The agent under test, by name: a Python callable (MODULE:ATTR), an OpenAI-compatible
    endpoint (URL) or a hosted voice agent (`vapi://ASSISTANT_ID`,
    `retell://AGENT_ID[@VERSION]`); loaded only when the replay starts (after the model
    stand-in is up)."""

    module: str | None = None
    url: str | None = None
    hosted: HostedRef | None = None
    model: str | None = None  # the model name sent to an endpoint (default: the recorded one)
    timeout: float | None = None  # seconds an endpoint may take per turn

    @classmethod
    def parse(
        cls,
        agent: str | None,
        agent_url: str | None = None,
        model: str | None = None,
        timeout: float | None = None,
    ) -> AgentRef:
        """Exactly one of a Python agent and an endpoint. A case file's agent may be any:
        one that starts with http:// or https:// is an endpoint, one that starts with
        vapi:// or retell:// a hosted agent (a module named `vapi` is `vapi:ATTR`)."""
        if agent is not None and agent_url is None and agent.startswith(_URL_SCHEMES):
            agent, agent_url = None, agent
        if (agent is None) == (agent_url is None):
            raise BadInputError("give exactly one of --agent MODULE:ATTR and --agent-url URL")
        hosted = parse_hosted_ref(agent) if agent is not None else None
        if hosted is not None:
            return cls(hosted=hosted, model=model, timeout=timeout)
        return cls(module=agent, url=agent_url, model=model, timeout=timeout)

    @property
    def hosted_timeout(self) -> float:
        """Seconds a hosted platform may take per request."""
        return self.timeout or 120.0

    @property
    def label(self) -> str:
        """How runs and saved cases name the agent: MODULE:ATTR, the URL, or the hosted
        agent's reference."""
        if self.hosted is not None:
            return self.hosted.label
        return self.module or self.url or ""

    def load(self, recorded_model: str | None = None) -> AgentTarget:
        """Import the Python agent, connect the endpoint (sending `model`, else the
        recorded one), or reach the hosted agent (its key from the environment)."""
        if self.hosted is not None:
            return AgentTarget(hosted_agent(self.hosted, self.hosted_timeout), self)
        if self.module is not None:
            return AgentTarget(load_agent(self.module), self)
        assert self.url is not None
        factory = http_agent(self.url, self.model or recorded_model, self.timeout or 120.0)
        return AgentTarget(factory, self)


_URL_SCHEMES = ("http://", "https://")


def resolve_agent(
    agent: str | None, agent_url: str | None = None, model: str | None = None
) -> AgentTarget:
    """Exactly one of a Python agent (MODULE:ATTR) and an OpenAI-compatible endpoint, loaded."""
    return AgentRef.parse(agent, agent_url, model).load()


@dataclass(frozen=True)
class Recording:
    """A stored session or trace as one side of a comparison."""

    conversation: Conversation
    spans: list[Span]


def resolve_comparable(store: SpanStore, identifier: str) -> ReplayRun | Recording:
    """A replay run id, else a trace id, else a session id (tried in that order)."""
    record = store.get_run(identifier)
    if record is not None:
        return load_run(record)
    if store.get_trace(identifier) is not None:
        return Recording(load_trace_conversation(store, identifier), store.get_spans([identifier]))
    try:
        conversation = load_conversation(store, identifier)
    except NotFoundError:
        raise NotFoundError(
            f"{identifier!r} is no replay run, trace or session in the store"
        ) from None
    return Recording(conversation, store.get_spans(list(conversation.trace_ids)))


def resolve_run(store: SpanStore, run_id: str) -> ReplayRun:
    """A stored replay run; NotFoundError when there is none."""
    record = store.get_run(run_id)
    if record is None:
        raise NotFoundError(f"no replay run {run_id!r} in the store")
    return load_run(record)


def recording_of(store: SpanStore, side: ReplayRun | Recording) -> Recording:
    """A comparison side as a recording: a run stands for the session its replay recorded."""
    if isinstance(side, Recording):
        return side
    return Recording(load_conversation(store, side.session_id), store.get_spans(side.trace_ids))
