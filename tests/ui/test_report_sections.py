"""The run and compare pages show every section of the report model when it is present:
a simulated user's turns, the outcome, voice measures and audio clips."""

from __future__ import annotations

from otel_replay.core.runs import SimulationEnd, TurnOrigin
from otel_replay.report import build_report
from otel_replay.report.model import (
    AudioClipView,
    AudioSection,
    OutcomeRow,
    SideCount,
    TurnAudioView,
)
from otel_replay.report.voice_model import VoiceMetricRow, VoiceSection
from otel_replay.store import open_store
from otel_replay.ui.app import Ui, UiSettings
from otel_replay.voice.compare import VoiceMetricName
from tests.report.story import original_spans, replay_spans, story_run


def _render(sqlite_url: str, **report_fields: object) -> str:
    report = build_report(story_run(), original_spans(), replay_spans())
    last = report.transcript[-1].model_copy(update={"origin": TurnOrigin.SIMULATED})
    report = report.model_copy(
        update={"transcript": [*report.transcript[:-1], last], **report_fields}
    )
    store = open_store(sqlite_url)
    try:
        ui = Ui(UiSettings(store))
        template = ui.templates.get_template("report.html")
        return template.render(report=report, span_traces={}, sources={})
    finally:
        store.close()


def test_simulated_turns_outcome_voice_and_audio_are_shown(sqlite_url: str) -> None:
    html = _render(
        sqlite_url,
        outcome=OutcomeRow(
            scenario="refund",
            reached=False,
            detail="the order was refunded",
            turns=SideCount(original=4, replay=6),
            simulated_turns=2,
            tool_calls=SideCount(original=2, replay=3),
            latency_ms=SideCount(original=900.0, replay=1200.0),
            ended_by=SimulationEnd.MAX_TURNS,
        ),
        voice=VoiceSection(
            original_source="livekit",
            replay_source="text_replay",
            replay_estimated=True,
            call=[
                VoiceMetricRow(
                    name=VoiceMetricName.AGENT_LATENCY_MS_P50,
                    original=820.0,
                    replay=640.0,
                    delta=-180.0,
                    percent=-22.0,
                )
            ],
            turns=[],
        ),
        audio=AudioSection(
            original=AudioClipView(src="https://calls.example/rec-1.wav"),
            turns=[
                TurnAudioView(
                    number=1,
                    original=AudioClipView(
                        src="https://calls.example/rec-1.wav", start_seconds=1.5, end_seconds=4.0
                    ),
                    replay=AudioClipView(src="audio/turn-1.wav"),
                )
            ],
        ),
    )
    assert "simulated user" in html
    assert "not reached" in html and "2 by a simulated user" in html and "max_turns" in html
    assert "agent_latency_ms_p50" in html and "text_replay" in html and "estimated" in html
    assert 'href="https://calls.example/rec-1.wav#t=1.5,4.0"' in html
    assert "<code>audio/turn-1.wav</code>" in html


def test_sections_absent_from_the_report_are_not_shown(sqlite_url: str) -> None:
    html = _render(sqlite_url)
    assert "<h2>Outcome</h2>" not in html and "<h2>Voice</h2>" not in html
    assert "<h2>Audio</h2>" not in html
