"""Where a replayed agent's model answers come from: the live provider, or the recording.

`--llm recorded` serves each turn's recorded LLM calls from a loopback stand-in (OpenAI Chat
Completions and Responses, Anthropic Messages) and answers a changed request with an error
the agent sees; `--llm hybrid` sends only the changed requests on to the real provider. The
agent finds the stand-in through OPENAI_BASE_URL and ANTHROPIC_BASE_URL, set in this process
while the replay runs (so set before the agent's module is imported), with placeholder keys
where none are set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

from otel_replay.core.errors import BadInputError
from otel_replay.core.runs import ReplayRun, TurnSide
from otel_replay.regression.files import LoadedCase, is_case_file, load_case
from otel_replay.regression.model import CASE_FILE
from otel_replay.scenario.files import read_scenario
from otel_replay.scenario.model import Scenario
from otel_replay.standin import Cassette, StandIn, StandInMode, Upstream, build_cassette
from otel_replay.standin.model import ExchangeSource


class LlmMode(StrEnum):
    """Where model answers come from in a replay."""

    LIVE = "live"  # the agent's own provider, as in production
    RECORDED = "recorded"  # the recording only; a changed request is an error
    HYBRID = "hybrid"  # the recording where it matches, the provider for the rest


def _upstream(url: str | None) -> Upstream:
    """Where hybrid misses go: `url` for both APIs, else the real providers."""
    if url:
        return Upstream.from_env(openai_base_url=url, anthropic_base_url=url)
    return Upstream.from_env()


@contextmanager
def model_standin(
    mode: LlmMode, scenarios: Sequence[Scenario], upstream_url: str | None = None
) -> Iterator[StandIn | None]:
    """A stand-in serving the first scenario, with this process's environment pointing at it
    for the duration (restored after); None in live mode."""
    if mode is LlmMode.LIVE or not scenarios:
        yield None
        return
    # The provider keys are read now, before placeholders are put in the environment.
    upstream = _upstream(upstream_url)
    with StandIn(scenarios[0], mode=StandInMode(mode.value), upstream=upstream) as standin:
        variables = standin.env()
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            yield standin
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def mark_model_sources(run: ReplayRun, standin: StandIn) -> ReplayRun:
    """The run with each turn's model answers marked recorded, live or unanswered, and the
    requests that matched no recorded call listed among the turn's divergences."""
    turns = []
    for turn in run.turns:
        exchanges = standin.exchanges(turn.index)
        if not exchanges or turn.replayed is None:
            turns.append(turn)
            continue
        replayed: TurnSide = turn.replayed.model_copy(
            update={"llm_sources": [e.source.value for e in exchanges]}
        )
        missed = [
            f"model call {n}: {e.divergence.describe()}"
            + (" (answered live)" if e.source is ExchangeSource.LIVE else "")
            for n, e in enumerate(exchanges, start=1)
            if e.divergence is not None
        ]
        turns.append(
            turn.model_copy(
                update={"replayed": replayed, "divergences": [*turn.divergences, *missed]}
            )
        )
    return run.model_copy(update={"turns": turns})


def served_recording(loaded: LoadedCase) -> Cassette:
    """What the stand-in serves a case: its cassette, else its scenario's recording."""
    if loaded.cassette is not None:
        return loaded.cassette.to_standin()
    return build_cassette(loaded.scenario)


def recording_to_serve(target: str) -> Scenario | Cassette:
    """What `otel-replay model` serves: a regression case folder's cassette (else its
    scenario's recording), or a scenario file's recording."""
    path = Path(target)
    if path.is_dir():
        if not is_case_file(path / CASE_FILE):
            raise BadInputError(f"{target}: not a regression case folder (no case.json)")
        return served_recording(load_case(path))
    if not path.exists():
        raise BadInputError(f"{target}: no such scenario file or case folder")
    return read_scenario(path)


def serve_recording(
    target: str,
    *,
    mode: LlmMode = LlmMode.RECORDED,
    port: int = 0,
    upstream_url: str | None = None,
) -> StandIn:
    """A stand-in for an agent run by hand: it follows the agent through the turns (a request
    matching a later turn moves to it) and keeps serving until closed."""
    if mode is LlmMode.LIVE:
        raise BadInputError("serving a recording needs --llm recorded or hybrid")
    upstream = _upstream(upstream_url)
    return StandIn(
        recording_to_serve(target),
        mode=StandInMode(mode.value),
        upstream=upstream,
        port=port,
        follow_turns=True,
    )


def answer_sources(standin: StandIn) -> Callable[[int], list[str]]:
    """Per turn index, where the stand-in's answers came from, in call order (for the
    replay to mark each model span with)."""
    return lambda index: [exchange.source.value for exchange in standin.exchanges(index)]
