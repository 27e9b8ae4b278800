"""The HTML report plays both sides' audio in a real headless Chromium.

The report, the original recording and the replay's synthesised audio are served over
127.0.0.1 by a real HTTP server; Chromium loads the page and its script marks every audio
element it could load (`data-state="ready"`, `data-duration`) or not (`"error"`).
"""

from __future__ import annotations

import functools
import http.server
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_replay.audio.pcm import concatenate, silence, write_wav
from otel_replay.audio.recording import CallRecording, TurnSpeech
from otel_replay.audio.sides import (
    audio_folder,
    build_audio_section,
    synthesize_replies,
    with_audio,
)
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.report import build_report, render_html, render_markdown, render_terminal
from otel_replay.report.model import Report
from tests.report.story import original_spans, replay_spans, story_run
from tests.report.test_html_browser import _chromium

AUDIO_TAG = re.compile(r"<audio\b[^>]*>")
UNAVAILABLE = '<span class="audio-length muted">audio unavailable</span>'


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1, and its base URL."""
    folder = tmp_path_factory.mktemp("served")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _recording(synthesizer: Synthesizer, path: Path) -> CallRecording:
    """A two-exchange call recording and its turn offsets, as an import would give them."""
    lines = ["Hello.", "Hi, how can I help?", "Where is my order?", "It ships on Friday."]
    rate = synthesizer.sample_rate
    pieces, offsets, at = [], [], 0.3
    pieces.append(silence(at, rate))
    for line in lines:
        speech = synthesizer.synthesize(line)
        offsets.append((round(at * 1000), round((at + speech.duration_seconds) * 1000)))
        pieces += [speech, silence(0.4, rate)]
        at += speech.duration_seconds + 0.4
    write_wav(path, concatenate(pieces, rate))
    turns = tuple(TurnSpeech(lines[i], lines[i + 1], *offsets[i], *offsets[i + 1]) for i in (0, 2))
    return CallRecording(mixed=path.name, stereo=None, user=None, agent=None, turns=turns)


@pytest.fixture(scope="module")
def audio_report(served: tuple[Path, str], synthesizer: Synthesizer) -> tuple[Report, Path]:
    folder, _ = served
    page = folder / "report.html"
    report = build_report(story_run(), original_spans(), replay_spans())
    recording = _recording(synthesizer, folder / "recording.wav")
    replay = synthesize_replies(report, synthesizer, audio_folder(page) / "replay.wav")
    section = build_audio_section(
        [t.number for t in report.transcript],
        recording,
        replay,
        base=folder,
        replay_source="synthesis",
        voice=synthesizer.voice_name,
    )
    report = with_audio(report, section)
    page.write_text(render_html([report]), encoding="utf-8")
    return report, page


def _dump_dom(url: str, profile: Path) -> str:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={profile}",
        # Lets the page's media load before the DOM is written out.
        "--virtual-time-budget=15000",
        "--dump-dom",
    ]
    done = subprocess.run(
        [str(_chromium()), *flags, url], capture_output=True, text=True, timeout=90, check=True
    )
    return done.stdout


def test_report_plays_the_recording_and_the_replay_audio_in_chromium(
    audio_report: tuple[Report, Path], served: tuple[Path, str], tmp_path: Path
) -> None:
    report, _ = audio_report
    _, base = served
    dom = _dump_dom(f"{base}/report.html", tmp_path / "profile")
    tags = AUDIO_TAG.findall(dom)
    section = report.audio
    assert section is not None
    # The whole call on both sides, then each turn with audio on either side.
    clips = [section.original, section.replay]
    clips += [c for t in section.turns for c in (t.original, t.replay)]
    assert len(tags) == len([c for c in clips if c is not None]) >= 4
    for tag in tags:
        assert 'data-state="ready"' in tag, tag
        duration = re.search(r'data-duration="([0-9.]+)"', tag)
        assert duration is not None and float(duration.group(1)) > 0.5, tag
    assert UNAVAILABLE not in dom
    assert re.search(r'<span class="audio-length muted">[0-9.]+ s</span>', dom)
    # Turns play a stretch of their file by media fragment.
    assert re.search(r'src="recording\.wav#t=[0-9.]+,[0-9.]+"', dom)
    assert re.search(r'src="report-audio/replay\.wav#t=[0-9.]+,[0-9.]+"', dom)


def test_a_missing_recording_shows_as_unavailable(
    audio_report: tuple[Report, Path], served: tuple[Path, str], tmp_path: Path
) -> None:
    report, _ = audio_report
    folder, base = served
    section = report.audio
    assert section is not None and section.original is not None
    gone = section.model_copy(
        update={"original": section.original.model_copy(update={"src": "missing.wav"})}
    )
    (folder / "missing.html").write_text(render_html([with_audio(report, gone)]), encoding="utf-8")
    dom = _dump_dom(f"{base}/missing.html", tmp_path / "profile")
    missing = [t for t in AUDIO_TAG.findall(dom) if 'src="missing.wav"' in t]
    assert len(missing) == 1 and 'data-state="error"' in missing[0]
    assert dom.count(UNAVAILABLE) == 1


def test_the_policy_lets_media_load_only_from_the_report_and_the_recording_hosts(
    audio_report: tuple[Report, Path],
) -> None:
    report, _ = audio_report
    section = report.audio
    assert section is not None and section.original is not None
    remote = section.model_copy(
        update={
            "original": section.original.model_copy(
                update={"src": "https://storage.example/rec/abc.wav?sig=1"}
            )
        }
    )
    html = render_html([with_audio(report, remote)])
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None
    assert policy.group(1).endswith("; media-src 'self' https://storage.example")
    assert "default-src 'none'" in policy.group(1)


def test_a_report_without_audio_has_no_player_and_the_original_policy() -> None:
    html = render_html([build_report(story_run(), original_spans(), replay_spans())])
    assert "<audio" not in html and "media-src" not in html


def test_markdown_links_both_audio_files(audio_report: tuple[Report, Path]) -> None:
    report, _ = audio_report
    text = render_markdown([report])
    assert "(recording.wav)" in text and "(report-audio/replay.wav)" in text


def test_the_terminal_report_names_both_audio_files_and_each_turns_stretch(
    audio_report: tuple[Report, Path],
) -> None:
    report, _ = audio_report
    text = render_terminal([report], width=200)
    assert "original: recording.wav" in text
    assert (
        "replay: report-audio/replay.wav · the replayed text spoken (voice en_US-joe-medium)"
        in text
    )
    assert re.search(r"turn 1: original [0-9.]+-[0-9.]+ s · replay 0\.0-[0-9.]+ s", text)
