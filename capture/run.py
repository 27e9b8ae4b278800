"""Capture real framework stacks' telemetry as fixtures.

    python capture/run.py --list
    python capture/run.py openai-v2-spans openai-agents ...
    python capture/run.py --all

For each capture: make (once) the stack's own environment under the cache folder
($OTEL_REPLAY_CAPTURE_CACHE, default ~/.cache/otel-replay-capture) from capture/envs/, start
the scripted model (otel_replay.testing.FakeOpenAIServer) and the capture receiver
(capture/sink.py) on 127.0.0.1, run the stack's agent in its environment with the official
OTLP/HTTP exporters pointed at the receiver, then write tests/fixtures/captures/<name>/:
traces.json, logs.json (when there are log records), exchanges.json (what the model was
sent and answered), expected.json and capture.json (packages and versions, command).
`--expected-only` rewrites expected.json from the committed files without running anything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from child.conversation import RESPONSE_MODEL, node_settings
from expected import build_expected
from script import weather_model
from sink import CaptureSink
from stacks import CAPTURES, Capture, Environment

from otel_replay.testing import Exchange, FakeOpenAIServer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURES = REPO / "tests" / "fixtures" / "captures"
CACHE = Path(
    os.environ.get("OTEL_REPLAY_CAPTURE_CACHE", Path.home() / ".cache" / "otel-replay-capture")
)
CHILD_TIMEOUT_SECONDS = 300


def _environment_folder(environment: Environment) -> Path:
    return CACHE / environment.name


def ensure_environment(environment: Environment) -> Path:
    """The environment's folder, installed from its pinned file when that file changed."""
    folder = _environment_folder(environment)
    pins = HERE / "envs" / environment.pins
    digest = hashlib.sha256(pins.read_bytes()).hexdigest()
    stamp = folder / ".capture-stamp"
    if stamp.exists() and stamp.read_text() == digest:
        return folder
    if environment.node:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pins, folder / "package.json")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=folder, check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "-r", str(pins)], check=True)
    stamp.write_text(digest)
    return folder


def installed_versions(environment: Environment) -> dict[str, str]:
    folder = _environment_folder(environment)
    if environment.node:
        done = subprocess.run(
            ["npm", "ls", "--depth=0", "--json"], cwd=folder, capture_output=True, text=True
        )
        deps = json.loads(done.stdout).get("dependencies", {})
        return {name: info.get("version", "?") for name, info in sorted(deps.items())}
    done = subprocess.run(
        [str(folder / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {p["name"].lower(): p["version"] for p in json.loads(done.stdout)}


def _child_env(capture: Capture, model: FakeOpenAIServer, sink: CaptureSink) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "CAPTURE_"))
    }
    env.update(
        {
            "OPENAI_BASE_URL": model.base_url,
            "OPENAI_API_KEY": "sk-capture-unused",
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200",
            "PYTHONPATH": str(HERE / "child"),
            "PYTHONUNBUFFERED": "1",
            "CAPTURE_CONVERSATION": json.dumps(node_settings()),
        }
    )
    if capture.environment.node:
        env["NODE_PATH"] = str(_environment_folder(capture.environment) / "node_modules")
    if capture.session_id is not None:
        env["CAPTURE_SESSION_ID"] = capture.session_id
    env.update(capture.env)
    return env


def _trace_ids_by_start(traces: dict[str, Any]) -> list[str]:
    first: dict[str, int] = {}
    for resource_spans in traces.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                start = int(span["startTimeUnixNano"])
                tid = span["traceId"]
                first[tid] = min(start, first.get(tid, start))
    return sorted(first, key=lambda t: (first[t], t))


def run_capture(capture: Capture) -> Path:
    """Run one capture and write its fixture folder."""
    folder = ensure_environment(capture.environment)
    bin_dir = folder / ("node_modules/.bin" if capture.environment.node else "bin")
    command = [part.format(bin=bin_dir, env=folder, here=HERE) for part in capture.command]
    with (
        FakeOpenAIServer(weather_model, model=RESPONSE_MODEL) as model,
        CaptureSink() as sink,
    ):
        done = subprocess.run(
            command,
            cwd=HERE / ("node" if capture.environment.node else "child"),
            env=_child_env(capture, model, sink),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{capture.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
            )
        traces = sink.traces_json()
        logs = sink.logs_json()
        exchanges = model.exchanges
    replies = json.loads(done.stdout.strip().splitlines()[-1])["replies"]
    bad = [e for e in exchanges if e.status != 200]
    if bad:
        raise RuntimeError(f"{capture.name}: the model refused {len(bad)} request(s): {bad[0]}")
    if not _trace_ids_by_start(traces):
        raise RuntimeError(f"{capture.name}: no spans arrived\n{done.stderr[-6000:]}")
    expected = _expected(capture, exchanges, traces, logs)
    got = [turn["assistant"] for turn in expected["turns"]]
    if replies != got:
        raise RuntimeError(f"{capture.name}: the agent replied {replies}, the model said {got}")
    out = FIXTURES / capture.name
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.json"):
        stale.unlink()
    _write(out / "traces.json", traces)
    if logs.get("resourceLogs"):
        _write(out / "logs.json", logs)
    _write(out / "exchanges.json", [_exchange_json(e) for e in exchanges])
    _write(out / "expected.json", expected)
    versions = installed_versions(capture.environment)
    _write(
        out / "capture.json",
        {
            "capture": capture.name,
            "environment": capture.environment.name,
            "command": [str(Path(c).name) if "/" in c else c for c in capture.command],
            "env": capture.env,
            "session_key": capture.session_key,
            "packages": {
                name: versions[name] for name in capture.environment.report if name in versions
            },
            "python" if not capture.environment.node else "node": _runtime(capture),
        },
    )
    return out


def _exchange_json(exchange: Exchange) -> dict[str, Any]:
    """What the stack sent the model and what it got back (request headers left out: they
    hold the client's platform details and nothing the conversation needs)."""
    return {
        "path": exchange.path,
        "request": exchange.body,
        "status": exchange.status,
        "completion": exchange.completion,
    }


def _exchanges_from_json(items: list[dict[str, Any]]) -> list[Exchange]:
    return [
        Exchange(item["path"], {}, item["request"], item["status"], item["completion"])
        for item in items
    ]


def rewrite_expected(capture: Capture) -> Path:
    """expected.json again from the committed exchanges.json and telemetry (no run)."""
    out = FIXTURES / capture.name
    traces = json.loads((out / "traces.json").read_text())
    logs_path = out / "logs.json"
    logs = json.loads(logs_path.read_text()) if logs_path.exists() else {}
    exchanges = _exchanges_from_json(json.loads((out / "exchanges.json").read_text()))
    _write(out / "expected.json", _expected(capture, exchanges, traces, logs))
    return out


def _expected(
    capture: Capture, exchanges: list[Exchange], traces: dict[str, Any], logs: dict[str, Any]
) -> dict[str, Any]:
    trace_ids = _trace_ids_by_start(traces)
    if not trace_ids:
        raise RuntimeError(f"{capture.name}: no spans arrived")
    return build_expected(
        exchanges,
        traces,
        logs,
        session_id=capture.session_id or f"group:{trace_ids[0]}",
        trace_count=len(trace_ids),
        streamed=capture.streamed,
        tool_spans=capture.tool_spans,
        notes=capture.notes,
    )


def _runtime(capture: Capture) -> str:
    if capture.environment.node:
        return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return ".".join(map(str, sys.version_info[:3]))


def _write(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="captures to run (see --list)")
    parser.add_argument("--all", action="store_true", help="run every capture")
    parser.add_argument("--list", action="store_true", help="list the captures and exit")
    parser.add_argument(
        "--expected-only",
        action="store_true",
        help="rewrite expected.json from the committed exchanges.json and telemetry, no run",
    )
    args = parser.parse_args()
    if args.list:
        for capture in CAPTURES.values():
            print(f"{capture.name:28} {capture.environment.name:22} {capture.summary}")
        return
    names = list(CAPTURES) if args.all else args.names
    unknown = [n for n in names if n not in CAPTURES]
    if unknown or not names:
        parser.error(f"unknown or no capture {unknown}: use one of {', '.join(CAPTURES)}")
    failed = 0
    for name in names:
        try:
            make = rewrite_expected if args.expected_only else run_capture
            print(f"{name}: {make(CAPTURES[name]).relative_to(REPO)}", flush=True)
        except (RuntimeError, subprocess.SubprocessError) as exc:
            failed += 1
            print(f"{name}: FAILED {exc}", file=sys.stderr, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
