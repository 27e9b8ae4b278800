"""The replay's own turn spans say who spoke each turn (`otel_replay.turn.origin`), so a
trace of a simulated replay says it in any trace viewer, not only in the run."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.core.runs import ReplayRun
from otel_replay.semconv.keys import REPLAY_TURN_INDEX, REPLAY_TURN_ORIGIN
from otel_replay.store import open_store
from otel_replay.testing import FakeOpenAIServer
from tests.simulate.commands import FIXED, replay_args, simulating


def _turn_spans(store_url: str, run: ReplayRun) -> dict[int, tuple[str, object]]:
    """Each stored turn span of the run, by turn index: its span id and origin attribute."""
    store = open_store(store_url)
    try:
        spans = store.get_spans(run.trace_ids)
    finally:
        store.close()
    return {
        int(str(s.attributes[REPLAY_TURN_INDEX])): (s.span_id, s.attributes.get(REPLAY_TURN_ORIGIN))
        for s in spans
        if s.name.startswith("otel_replay.turn ")
    }


def test_the_stored_turn_spans_of_a_simulated_replay_are_marked_recorded_or_simulated(
    scenario_file: Path, incident_store_url: str, user_model: FakeOpenAIServer
) -> None:
    args = replay_args(scenario_file, incident_store_url, FIXED, "--json")
    result = CliRunner().invoke(cli, [*args, *simulating(user_model.base_url)])
    assert result.exit_code == 0, result.output
    run = ReplayRun.model_validate_json(result.stdout)
    spans = _turn_spans(incident_store_url, run)
    assert {index: origin for index, (_, origin) in spans.items()} == {
        0: "recorded",
        1: "recorded",
        4: "simulated",
    }
    # The spans are the run's own turns, marked as the run marks them.
    for turn in run.turns:
        if turn.span_id is not None:
            assert spans[turn.index] == (turn.span_id, turn.origin.value)


def test_a_plain_replay_marks_every_turn_span_recorded(
    scenario_file: Path, incident_store_url: str
) -> None:
    args = replay_args(scenario_file, incident_store_url, FIXED, "--json")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    run = ReplayRun.model_validate_json(result.stdout)
    origins = {index: origin for index, (_, origin) in _turn_spans(incident_store_url, run).items()}
    assert origins == {0: "recorded", 1: "recorded", 2: "recorded", 3: "recorded"}
