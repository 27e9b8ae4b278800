"""Time the voice metrics of long calls and print the figures.

    python bench/voice_metrics.py [--minutes 60] [--repeats 7] [--seed 1]

A synthetic call of alternating user and agent speech (pauses of 0.2-2 s, one barge-in in
ten agent turns, a few overlaps), as an imported Vapi or Retell call becomes: its timeline
measured with `measure_call`, a text replay of it estimated with `estimate_replay_timeline`,
and both compared with `compare_calls`, as a run report does.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from otel_replay.core.runs import ReplayedTurn, ReplayRun, RunStatus, TurnSide
from otel_replay.voice import Speaker, Utterance, VoiceTimeline, measure_call
from otel_replay.voice.compare import compare_calls
from otel_replay.voice.replayed import estimate_replay_timeline

WORDS = [
    "yes",
    "no",
    "order",
    "status",
    "refund",
    "please",
    "thanks",
    "the",
    "my",
    "your",
    "is",
    "it",
    "on",
    "for",
    "today",
]


def synthetic_call(minutes: float, rng: random.Random) -> VoiceTimeline:
    utterances: list[Utterance] = []
    clock, turn = 300.0, 0
    utterances.append(Utterance(Speaker.AGENT, "Hello, how can I help?", clock, clock + 1500))
    clock += 1500
    while clock < minutes * 60000:
        user_ms = rng.uniform(800, 4000)
        start = clock + rng.uniform(200, 2000)
        if utterances[-1].speaker is Speaker.AGENT and rng.random() < 0.1:
            start = (utterances[-1].end_ms or clock) - rng.uniform(200, 900)  # barge-in
        text = " ".join(rng.choices(WORDS, k=int(user_ms / 350)))
        utterances.append(Utterance(Speaker.USER, text, start, start + user_ms, turn=turn))
        agent_ms = rng.uniform(1000, 6000)
        agent_start = start + user_ms + rng.uniform(-300, 1500)
        reply = " ".join(rng.choices(WORDS, k=int(agent_ms / 380)))
        utterances.append(
            Utterance(Speaker.AGENT, reply, agent_start, agent_start + agent_ms, turn=turn)
        )
        clock, turn = agent_start + agent_ms, turn + 1
    return VoiceTimeline("bench", tuple(utterances), end_reason="customer-ended-call")


def replay_of(timeline: VoiceTimeline, rng: random.Random) -> ReplayRun:
    turns = sorted({u.turn for u in timeline.utterances if u.turn is not None})
    side = TurnSide(assistant=None)
    return ReplayRun(
        run_id="bench",
        scenario="bench",
        agent="bench",
        original_session_id="bench",
        session_id="bench",
        status=RunStatus.OK,
        started_unix_nano=0,
        ended_unix_nano=0,
        trace_ids=[],
        turns=[
            ReplayedTurn(
                index=t,
                user="what about my order",
                original=side,
                replayed=TurnSide(
                    assistant=" ".join(rng.choices(WORDS, k=rng.randint(4, 30))),
                    latency_ms=rng.uniform(300, 2500),
                ),
                original_trace_id="0" * 32,
                original_span_id="0" * 16,
            )
            for t in turns
        ],
    )


def timed(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    original = synthetic_call(args.minutes, rng)
    run = replay_of(original, rng)
    replay = estimate_replay_timeline(original, run)
    metrics = measure_call(original)
    print(
        f"call: {args.minutes:g} min, {len(original.utterances)} utterances, "
        f"{len(metrics.turns)} turns, {metrics.user_interruptions} barge-ins, "
        f"{metrics.agent_interruptions} talk-overs"
    )
    for label, function in (
        ("measure_call (original)", lambda: measure_call(original)),
        ("estimate_replay_timeline", lambda: estimate_replay_timeline(original, run)),
        ("compare_calls (both measured)", lambda: compare_calls(original, replay)),
    ):
        median, best = timed(function, args.repeats)
        print(f"{label:32} median {median:8.2f} ms  best {best:8.2f} ms")


if __name__ == "__main__":
    main()
