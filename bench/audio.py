"""Benchmark: the voice extra's offline audio steps, on this machine.

Times loading the Piper voice and the Whisper model, synthesising each sentence (with its
real-time factor: seconds of work per second of audio), finding speech in the result and
transcribing it. Prints the median of --repeat runs per sentence.

    python bench/audio.py               # 3 sentences, 3 repeats
    python bench/audio.py --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

from otel_replay.audio.speech import find_speech
from otel_replay.audio.synthesis import Synthesizer
from otel_replay.audio.transcribe import Transcriber

SENTENCES = (
    "Hello.",
    "Where is my order? It should have arrived yesterday.",
    "Your order shipped this morning and arrives on Friday before noon.",
)


def _timed(step: Callable[[], object]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    voice, ears = Synthesizer(), Transcriber()
    print(f"load piper voice: {_timed(lambda: voice.synthesize('Ready.')):.2f} s")
    print(
        f"load whisper tiny.en: {_timed(lambda: ears.transcribe(voice.synthesize('Ready.'))):.2f} s"
    )
    for sentence in SENTENCES:
        synth, vad, asr = [], [], []
        for run in range(args.repeat):
            text = f"{sentence} ({run})"  # new text each run: the synthesiser caches by text
            start = time.perf_counter()
            audio = voice.synthesize(text)
            synth.append(time.perf_counter() - start)
            vad.append(_timed(partial(find_speech, audio)))
            asr.append(_timed(partial(ears.transcribe, audio)))
        seconds = audio.duration_seconds
        print(
            f"{seconds:4.1f} s of speech: synthesis {statistics.median(synth):.2f} s "
            f"(RTF {statistics.median(synth) / seconds:.2f}), speech detection "
            f"{statistics.median(vad) * 1000:.0f} ms, transcription {statistics.median(asr):.2f} s"
        )


if __name__ == "__main__":
    main()
