"""Shared by the audio tests: one Piper voice (loading it takes a few seconds)."""

from __future__ import annotations

import pytest

from otel_replay.audio.synthesis import Synthesizer


@pytest.fixture(scope="session")
def synthesizer() -> Synthesizer:
    voice = Synthesizer()
    voice.synthesize("Ready.")  # loads the model once for every test
    return voice
