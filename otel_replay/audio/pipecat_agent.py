"""Driving a local Pipecat voice agent with audio, and hearing what it says back.

The agent is a factory `create_pipeline(transport) -> Pipeline`, as a Pipecat bot builds its
pipeline around a transport's `input()` and `output()`. We hand it a transport of our own:
its input plays the user's audio into the pipeline in real time (20 ms frames, silence in
between), its output takes the agent's audio the way a sound card does (a frame at a time,
as fast as it plays) and keeps it, stamped with when it played. Imports Pipecat on first use.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from otel_replay.audio.extra import require
from otel_replay.audio.pcm import SAMPLE_WIDTH, PcmAudio, numpy_module, resample

FRAME_SECONDS = 0.02
# A 16-bit frame louder than this (RMS) counts as the agent making sound.
LOUD_RMS = 200.0


@dataclass(frozen=True)
class UserSpeech:
    """One user turn to play: its audio, its text (for the record), and, in timeline mode,
    when to start it (seconds from the call's start; None: when the agent has answered)."""

    audio: PcmAudio
    text: str | None = None
    at_seconds: float | None = None


@dataclass(frozen=True)
class DrivenCall:
    """What happened on the line: when each user turn played (seconds from the call's
    start), both tracks from the call's start, and how long the call ran."""

    user_played: list[tuple[float, float]]
    user_track: PcmAudio
    agent_track: PcmAudio
    seconds: float


@dataclass
class _Line:
    """The call's shared state: its clock, and the agent's audio as it played."""

    loop: asyncio.AbstractEventLoop
    started: float
    chunks: list[tuple[float, bytes, int]] = field(default_factory=list)
    playhead: float = 0.0
    loud_chunks: int = 0
    last_loud_end: float = 0.0

    def now(self) -> float:
        return self.loop.time() - self.started

    async def play(self, audio: bytes, sample_rate: int) -> bool:
        np = numpy_module()

        now = self.now()
        start = max(now, self.playhead)
        seconds = len(audio) / SAMPLE_WIDTH / sample_rate
        self.playhead = start + seconds
        self.chunks.append((start, audio, sample_rate))
        samples = np.frombuffer(audio, dtype="<i2").astype(np.float64)
        if samples.size and float(np.sqrt(np.mean(samples**2))) > LOUD_RMS:
            self.loud_chunks += 1
            self.last_loud_end = start + seconds
        # A sound card takes the next frame when this one starts playing.
        await asyncio.sleep(max(0.0, start - now))
        return True

    def reached(self, seconds: float) -> bool:
        return self.now() >= seconds

    def answered_and_quiet(self, loud_before: int, quiet_seconds: float) -> bool:
        now = self.now()
        return (
            self.loud_chunks > loud_before
            and self.playhead <= now + FRAME_SECONDS
            and now - self.last_loud_end >= quiet_seconds
        )


def is_pipeline_factory(value: object) -> bool:
    """Whether an agent object is a Pipecat pipeline factory: a callable whose one required
    parameter is named `transport`."""
    if not callable(value):
        return False
    try:
        parameters = list(inspect.signature(value).parameters.values())
    except (TypeError, ValueError):
        return False
    required = [p for p in parameters if p.default is inspect.Parameter.empty]
    return len(required) == 1 and required[0].name == "transport"


def _make_transport(line: _Line, sample_rate: int, ready: asyncio.Event) -> Any:
    base_input: Any = require("pipecat.transports.base_input", "driving a Pipecat agent")
    base_output: Any = require("pipecat.transports.base_output", "driving a Pipecat agent")
    base_transport: Any = require("pipecat.transports.base_transport", "driving a Pipecat agent")

    params = base_transport.TransportParams(
        audio_in_enabled=True,
        audio_in_sample_rate=sample_rate,
        audio_out_enabled=True,
        audio_out_sample_rate=sample_rate,
    )

    class ReplayInput(base_input.BaseInputTransport):  # type: ignore[misc]
        async def start(self, frame: Any) -> None:
            await super().start(frame)
            await self.set_transport_ready(frame)
            ready.set()

    class ReplayOutput(base_output.BaseOutputTransport):  # type: ignore[misc]
        async def start(self, frame: Any) -> None:
            await super().start(frame)
            await self.set_transport_ready(frame)

        async def write_audio_frame(self, frame: Any) -> bool:
            return await line.play(frame.audio, frame.sample_rate)

    class ReplayTransport(base_transport.BaseTransport):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(name="otel-replay-audio")
            self._input = ReplayInput(params)
            self._output = ReplayOutput(params)

        def input(self) -> Any:
            return self._input

        def output(self) -> Any:
            return self._output

    return ReplayTransport()


def _track(chunks: Sequence[tuple[float, bytes, int]], seconds: float, rate: int) -> PcmAudio:
    np = numpy_module()

    track = np.zeros(round(seconds * rate) + 1, dtype=np.int32)
    for start, audio, chunk_rate in chunks:
        piece = resample(PcmAudio(audio, chunk_rate), rate)
        values = np.frombuffer(piece.samples, dtype="<i2")
        at = round(start * rate)
        end = min(len(track), at + len(values))
        if end > at:
            track[at:end] += values[: end - at]
    return PcmAudio(np.clip(track, -32768, 32767).astype("<i2").tobytes(), rate)


async def drive_pipecat_agent(
    create_pipeline: Callable[[Any], Any],
    turns: Sequence[UserSpeech],
    *,
    sample_rate: int = 16_000,
    quiet_seconds: float = 1.2,
    answer_timeout: float = 20.0,
    greeting_seconds: float = 0.5,
) -> DrivenCall:
    """Play the user's turns into a Pipecat agent and keep what it says.

    Turn-taking: a turn without `at_seconds` starts once the agent has answered the previous
    one and stayed quiet for `quiet_seconds` (or `answer_timeout` passed); the call ends the
    same way after the last turn; the first waits up to `greeting_seconds` for a greeting
    to end. Timeline: a turn with `at_seconds` starts then, whatever
    the agent is doing (so a slow agent is talked over, as on the recorded call).
    """
    frames: Any = require("pipecat.frames.frames", "driving a Pipecat agent")
    worker_module: Any = require("pipecat.pipeline.worker", "driving a Pipecat agent")
    runner_module: Any = require("pipecat.workers.runner", "driving a Pipecat agent")

    loop = asyncio.get_running_loop()
    line = _Line(loop, loop.time())
    ready = asyncio.Event()
    transport = _make_transport(line, sample_rate, ready)
    task = worker_module.PipelineWorker(
        create_pipeline(transport),
        params=worker_module.PipelineParams(
            audio_in_sample_rate=sample_rate, audio_out_sample_rate=sample_rate
        ),
    )
    runner = runner_module.WorkerRunner(handle_sigint=False)
    await runner.add_workers(task)
    running = asyncio.create_task(runner.run())
    await asyncio.wait_for(ready.wait(), timeout=answer_timeout)
    line.started = loop.time()
    step = round(sample_rate * FRAME_SECONDS) * SAMPLE_WIDTH
    silence = bytes(step)
    sent = 0  # frames pushed so far: frame n goes at n * FRAME_SECONDS

    async def push(chunk: bytes) -> None:
        nonlocal sent
        await transport.input().push_audio_frame(
            frames.InputAudioRawFrame(audio=chunk, sample_rate=sample_rate, num_channels=1)
        )
        sent += 1
        await asyncio.sleep(max(0.0, sent * FRAME_SECONDS - line.now()))

    async def wait_for(done: Callable[[], bool], limit: float) -> None:
        deadline = line.now() + limit
        while not done() and line.now() < deadline and not running.done():
            await push(silence)

    played: list[tuple[float, float]] = []
    user_chunks: list[tuple[float, bytes, int]] = []
    try:
        loud_before = line.loud_chunks
        # The agent may greet first: its greeting is heard out before the user speaks.
        await wait_for(partial(line.answered_and_quiet, 0, quiet_seconds), greeting_seconds)
        for turn in turns:
            if turn.at_seconds is not None:
                await wait_for(partial(line.reached, turn.at_seconds), answer_timeout)
            elif played:
                answered = partial(line.answered_and_quiet, loud_before, quiet_seconds)
                await wait_for(answered, answer_timeout)
            audio = resample(turn.audio, sample_rate).samples
            start = sent * FRAME_SECONDS
            loud_before = line.loud_chunks
            for offset in range(0, len(audio), step):
                await push(audio[offset : offset + step].ljust(step, b"\0"))
            played.append((start, sent * FRAME_SECONDS))
            user_chunks.append((start, audio, sample_rate))
        answered = partial(line.answered_and_quiet, loud_before, quiet_seconds)
        await wait_for(answered, answer_timeout)
    finally:
        await task.cancel()
        await asyncio.wait_for(running, timeout=10)
    seconds = max(line.now(), line.playhead)
    return DrivenCall(
        user_played=played,
        user_track=_track(user_chunks, seconds, sample_rate),
        agent_track=_track(line.chunks, seconds, sample_rate),
        seconds=seconds,
    )
