"""Benchmark: the recorded-model stand-in's overhead per LLM call, through the real openai client.

Builds a scenario whose one turn holds --recorded calls of a growing tool-calling
conversation, then asks the stand-in each recorded request in turn (--calls in all, after a
warm-up), with the official `openai` client, as JSON and as a stream. The baseline is the
same client against a trivial server on the same HTTP stack (`LoopbackServer`, HTTP/1.1
keep-alive) that answers every request with the same bytes, canned: the difference is the
stand-in's own work (parse, normalise, match, render, log). Prints median and p99 per call.

    python bench/standin.py                  # 2,000 calls, turns of 5 recorded calls
    python bench/standin.py --calls 500 --recorded 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import openai

from otel_replay.scenario.model import (
    AgentSpec,
    RecordedLlmCall,
    Scenario,
    ScenarioMessage,
    ScenarioSource,
    ScenarioTurn,
    SourceKind,
    ToolCallRequest,
    ToolSpec,
    TurnMetrics,
)
from otel_replay.standin import ProviderApi, StandIn
from otel_replay.standin.cassette import build_cassette
from otel_replay.standin.loopback import LoopbackServer, server_owner
from otel_replay.standin.openai_chat import render_response, render_stream

MODEL = "gpt-4o-mini"
SYSTEM = "You are the support agent of an online shop. Look orders up with check_status."
TOOL = ToolSpec(
    name="check_status",
    description="Look up the shipping status of an order.",
    parameters={
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    },
)


def _scenario(recorded: int) -> Scenario:
    """One turn: the model looks up `recorded - 1` orders one by one, then answers."""
    history = [
        ScenarioMessage(role="system", content=SYSTEM),
        ScenarioMessage(role="user", content="Where are my orders?"),
    ]
    calls = []
    for n in range(recorded):
        last = n == recorded - 1
        call = ToolCallRequest(id=f"call_{n}", name="check_status", arguments={"order_id": str(n)})
        output = ScenarioMessage(
            role="assistant",
            content="All orders are on their way." if last else None,
            tool_calls=[] if last else [call],
        )
        calls.append(
            RecordedLlmCall(
                trace_id="0" * 32,
                span_id=f"{n:016x}",
                name="chat",
                request_model=MODEL,
                input_messages=list(history),
                output_messages=[output],
                finish="stop" if last else "tool_call",
                input_tokens=100 + 40 * n,
                output_tokens=20,
                duration_ms=1.0,
            )
        )
        result = json.dumps({"order_id": str(n), "status": "in transit"})
        history += [output, ScenarioMessage(role="tool", content=result, tool_call_id=f"call_{n}")]
    return Scenario(
        name="bench",
        source=ScenarioSource(kind=SourceKind.SESSION, session_id="bench", trace_ids=["0" * 32]),
        agent=AgentSpec(system_prompt=SYSTEM, model=MODEL, tools=[TOOL]),
        turns=[
            ScenarioTurn(
                index=0,
                trace_id="0" * 32,
                span_id="0" * 16,
                user="Where are my orders?",
                assistant="All orders are on their way.",
                llm_calls=calls,
                metrics=TurnMetrics(latency_ms=1.0, llm_calls=recorded, tool_calls=0, errors=0),
            )
        ],
        graph={},
    )


def _request(call: RecordedLlmCall) -> dict[str, Any]:
    """The chat completions arguments the recorded call was made with."""
    messages: list[dict[str, Any]] = []
    for m in call.input_messages:
        message: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for c in m.tool_calls
            ]
        if m.tool_call_id:
            message["tool_call_id"] = m.tool_call_id
        messages.append(message)
    tools = [
        {
            "type": "function",
            "function": {
                "name": TOOL.name,
                "description": TOOL.description,
                "parameters": TOOL.parameters,
            },
        }
    ]
    return {"model": MODEL, "messages": messages, "tools": tools, "temperature": 0}


class _Canned(LoopbackServer):
    """The baseline: answers every request with the same bytes, as JSON or as a stream."""

    def __init__(self, json_body: bytes, stream_body: bytes) -> None:
        self.bodies = {False: json_body, True: stream_body}
        super().__init__(_CannedHandler, 0, "bench-canned")


class _CannedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        canned = server_owner(self)
        assert isinstance(canned, _Canned)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        stream = b'"stream": true' in raw or b'"stream":true' in raw
        body = canned.bodies[stream]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if stream else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _ask(client: openai.OpenAI, request: dict[str, Any], stream: bool) -> float:
    started = time.perf_counter()
    if stream:
        chunks = client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        for _ in chunks:
            pass
    else:
        client.chat.completions.create(**request)
    return time.perf_counter() - started


def _interleaved(
    standin: StandIn,
    clients: dict[str, openai.OpenAI],
    requests: list[dict[str, Any]],
    calls: int,
    stream: bool,
) -> dict[str, list[float]]:
    """Each request asked of both servers, alternating which goes first, so that whatever
    else the machine does weighs on both alike."""
    seconds: dict[str, list[float]] = {name: [] for name in clients}
    names = list(clients)
    for n in range(calls):
        if n % len(requests) == 0:
            standin.set_turn(0)  # a pass over the turn's calls: every request is a hit
        request = requests[n % len(requests)]
        for name in names if n % 2 == 0 else reversed(names):
            seconds[name].append(_ask(clients[name], request, stream))
    return seconds


def _in_process(standin: StandIn, requests: list[dict[str, Any]], calls: int) -> list[float]:
    """The stand-in's own work per request, without HTTP: parse, match, render, log."""
    bodies = [json.dumps(r).encode() for r in requests]
    seconds = []
    for n in range(calls):
        if n % len(bodies) == 0:
            standin.set_turn(0)
        started = time.perf_counter()
        standin.respond(ProviderApi.OPENAI_CHAT, bodies[n % len(bodies)], {})
        seconds.append(time.perf_counter() - started)
    return seconds


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="measured calls per mode")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured calls first")
    parser.add_argument("--recorded", type=int, default=5, help="recorded calls in the turn")
    args = parser.parse_args()
    scenario = _scenario(args.recorded)
    recorded_calls = scenario.turns[0].llm_calls
    requests = [_request(c) for c in recorded_calls]
    # The baseline answers with the bytes the stand-in sends for the middle call.
    middle = build_cassette(scenario).turn(0)[args.recorded // 2]
    json_body = json.dumps(render_response(middle.answer, MODEL, "t0c0")).encode()
    stream_body = render_stream(
        middle.answer, MODEL, "t0c0", {"stream_options": {"include_usage": True}}
    )
    sizes = [len(r["messages"]) for r in requests]
    print(
        f"stand-in overhead per LLM call: openai {openai.__version__} client, "
        f"{args.calls} calls per mode after {args.warmup} warm-up, turns of "
        f"{args.recorded} recorded calls ({min(sizes)}-{max(sizes)} messages each)"
    )
    print(
        f"{'mode':<8} {'stand-in median/p99 ms':>24} {'baseline median/p99 ms':>24} "
        f"{'overhead median/p99 ms':>24}"
    )
    for stream in (False, True):
        with (
            StandIn(scenario) as standin,
            _Canned(json_body, stream_body) as canned,
            openai.OpenAI(base_url=standin.openai_base_url, api_key="-", max_retries=0) as ours,
            openai.OpenAI(
                base_url=f"http://127.0.0.1:{canned.port}/v1", api_key="-", max_retries=0
            ) as theirs,
        ):
            clients = {"standin": ours, "baseline": theirs}
            _interleaved(standin, clients, requests, args.warmup, stream)
            results = _interleaved(standin, clients, requests, args.calls, stream)
            misses = len(standin.divergences())
        assert misses == 0, f"{misses} requests missed the recording"
        ms = {k: (statistics.median(v) * 1e3, _p99(v) * 1e3) for k, v in results.items()}
        overhead = [
            (a - b) * 1e3 for a, b in zip(results["standin"], results["baseline"], strict=True)
        ]
        print(
            f"{'stream' if stream else 'json':<8} "
            f"{ms['standin'][0]:>15.3f} / {ms['standin'][1]:<6.3f} "
            f"{ms['baseline'][0]:>15.3f} / {ms['baseline'][1]:<6.3f} "
            f"{statistics.median(overhead):>15.3f} / {_p99(overhead):<6.3f}"
        )
    with StandIn(scenario) as standin:
        _in_process(standin, requests, args.warmup)
        work = _in_process(standin, requests, args.calls)
    # p99s measure the machine as much as the stand-in when it is busy: say how busy.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs")
    print(
        f"in-process (respond(), no HTTP): median {statistics.median(work) * 1e3:.3f} ms, "
        f"p99 {_p99(work) * 1e3:.3f} ms"
    )


if __name__ == "__main__":
    main()
