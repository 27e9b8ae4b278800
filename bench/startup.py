"""Benchmark: start-up time of the `otel-replay` command.

Runs `otel-replay --version` and `otel-replay sessions` on an empty SQLite store as fresh
subprocesses --runs times each and prints the min and median wall time, then the slowest
imports of each (cumulative microseconds from `python -X importtime`), how many modules each
imports and which heavy ones (figures that do not depend on how busy the machine is).

    python bench/startup.py
    python bench/startup.py --runs 20 --top 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_RUNS = 50
HEAVY = ("google.protobuf", "grpc", "psycopg", "otel_replay.semconv.identity",
         "otel_replay.store.rows", "otel_replay.otlp.convert", "networkx", "pydantic")  # fmt: skip
# Run from the repository root so `python -m otel_replay` imports this working tree, whatever
# copy the environment has installed.
ROOT = Path(__file__).resolve().parents[1]


def _command(args: list[str]) -> list[str]:
    # `python -m otel_replay` is what the console script runs, minus the entry-point lookup,
    # so the figures do not depend on how the script was installed.
    return [sys.executable, "-m", "otel_replay", *args]


def _time_runs(args: list[str], runs: int, env: dict[str, str]) -> list[float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(_command(args), env=env, cwd=ROOT, check=True, capture_output=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def _import_times(args: list[str], env: dict[str, str]) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of every import of `python -m otel_replay ARGS`,
    slowest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *_command(args)[1:]],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(cumulative), name.strip()))
    rows.sort(reverse=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help=f"runs per command (max {MAX_RUNS})")
    parser.add_argument("--top", type=int, default=12, help="slowest imports shown per command")
    options = parser.parse_args()
    runs = max(1, min(options.runs, MAX_RUNS))
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.db"
        empty.touch()
        env = {**os.environ, "OTEL_REPLAY_STORE": f"sqlite:///{empty}"}
        commands = {
            "otel-replay --version": ["--version"],
            "otel-replay sessions (empty store)": ["sessions", "--store", f"sqlite:///{empty}"],
        }
        for label, args in commands.items():
            seconds = _time_runs(args, runs, env)
            print(
                f"{label}: min {min(seconds):.3f} s, median {statistics.median(seconds):.3f} s"
                f" ({runs} runs)"
            )
        imports = {label: _import_times(args, env) for label, args in commands.items()}
        for label, rows in imports.items():
            names = {name for _, name in rows}
            heavy = [h for h in HEAVY if h in names]
            print(f"{label}: {len(rows)} modules imported; heavy: {', '.join(heavy) or 'none'}")
        for label, rows in imports.items():
            print(f"\nslowest imports, {label} (cumulative ms):")
            for cumulative_us, name in rows[: options.top]:
                print(f"  {cumulative_us / 1000:8.1f}  {name}")


if __name__ == "__main__":
    main()
