"""`replay --audio`: which agents are driven as sound, and replaying scenarios that way."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from otel_replay.audio.pipecat_agent import is_pipeline_factory
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.audio.tier import AudioReplay, replay_with_audio
from otel_replay.audio.transcribe import Transcriber
from otel_replay.core.errors import BadInputError
from otel_replay.scenario.model import Scenario
from otel_replay.store.base import SpanStore


def find_pipeline_factory(spec: str | None) -> Callable[[Any], Any] | None:
    """The Pipecat pipeline factory `MODULE:ATTR` names (one required parameter named
    `transport`), or None when the agent is anything else (or not MODULE:ATTR at all)."""
    if not spec or "://" in spec or ":" not in spec:
        return None
    module_name, _, attr_path = spec.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
        for part in attr_path.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None  # the ordinary agent loader reports it
    return found if is_pipeline_factory(found) else None


def replay_scenarios_with_audio(
    store: SpanStore,
    scenarios: Sequence[Scenario],
    create_pipeline: Callable[[Any], Any],
    *,
    agent: str,
    folder: Path,
    report_base: Path,
    timeline: bool = False,
) -> list[AudioReplay]:
    """Each scenario replayed as sound into the agent, one after another (each call runs in
    real time); the calls' audio goes to `folder`."""
    if not scenarios:
        raise BadInputError("no scenario to replay")
    voice, ears = Synthesizer(), Transcriber()
    return [
        replay_with_audio(
            scenario,
            create_pipeline,
            store.get_spans(scenario.source.trace_ids),
            folder,
            agent=agent,
            report_base=report_base,
            synthesizer=voice,
            transcriber=ears,
            timeline=timeline,
        )
        for scenario in scenarios
    ]
