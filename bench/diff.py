"""Time `diff_span_trees` on two realistic agent sessions and print the figures.

    python bench/diff.py [--spans 10000] [--repeats 7] [--seed 1]

Each side is one trace: an `invoke_agent` root, then turns of chat -> one or two tool calls
-> chat. The replay re-runs the original with ids, timings, token counts and some replies
changed, plus inserted and removed tool calls and turns, changed tool arguments and swapped
models. Timed twice: aligned by keys alone, and with every replayed span linking to its
original (`replay_of`), as the replay runner records them.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from otel_replay.core.records import AnyValue, Resource, Scope, Span, SpanKind, SpanLink
from otel_replay.diff.span_tree import REPLAY_LINK_TYPE_KEY, REPLAY_OF, diff_span_trees

T0 = 1_768_471_200_000_000_000
MILLISECOND = 1_000_000
TOOLS = ("search_orders", "get_order", "refund_order", "lookup_customer", "send_email")


@dataclass
class Step:
    """One planned span: what it is, independent of ids and timing."""

    kind: str  # "chat" or "tool"
    name: str  # model or tool name
    arguments: str = ""
    reply: str = ""
    origin: int = -1  # index in the original's plan, -1 for a span the replay added


@dataclass
class Turn:
    question: str
    steps: list[Step] = field(default_factory=list)
    origin: int = -1


def plan_original(rng: random.Random, turns: int) -> list[Turn]:
    plan: list[Turn] = []
    for number in range(turns):
        tools = rng.sample(TOOLS, rng.choice((1, 1, 2)))
        turn = Turn(question=f"customer question {number}: where is order {rng.randrange(10**6)}?")
        turn.steps.append(Step("chat", "gpt-4o", reply=f"calling {', '.join(tools)}"))
        for tool in tools:
            arguments = json.dumps({"order_id": rng.randrange(10**6), "verbose": False})
            turn.steps.append(Step("tool", tool, arguments, reply=f"{tool} result {number}"))
        turn.steps.append(Step("chat", "gpt-4o", reply=f"Here is what I found ({number})."))
        plan.append(turn)
    for turn_index, turn in enumerate(plan):
        turn.origin = turn_index
        for step_index, step in enumerate(turn.steps):
            step.origin = step_index
    return plan


def plan_replay(rng: random.Random, original: list[Turn]) -> list[Turn]:
    plan: list[Turn] = []
    for turn in original:
        roll = rng.random()
        if roll < 0.005:
            continue  # the replayed agent skipped this turn
        steps = [replace(step) for step in turn.steps]
        if roll < 0.01:
            plan.append(Turn("an extra clarifying turn", [Step("chat", "gpt-4o", reply="?")]))
        elif roll < 0.02:
            extra = Step("tool", rng.choice(TOOLS), json.dumps({"retry": True}), "retried")
            steps.insert(len(steps) - 1, extra)
        elif roll < 0.03 and len(steps) > 3:
            del steps[1]
        elif roll < 0.05:
            tool = next(step for step in steps if step.kind == "tool")
            tool.arguments = json.dumps({"order_id": rng.randrange(10**6), "verbose": True})
        elif roll < 0.10:
            for step in steps:
                if step.kind == "chat":
                    step.name = "gpt-4o-mini"
        for step in steps:
            if step.kind == "chat" and rng.random() < 0.2:
                step.reply += " (worded differently)"
        plan.append(Turn(turn.question, steps, turn.origin))
    return plan


def build_trace(
    rng: random.Random,
    plan: list[Turn],
    trace: int,
    limit: int,
    link_to: Callable[[int, int], tuple[str, str] | None] | None = None,
) -> list[Span]:
    """Spans of `plan`, cut at `limit`; `link_to(turn origin, step origin)` names the
    (trace id, span id) of the original span to link a replayed span to."""
    trace_id = f"{trace:032x}"
    resource = Resource(attributes={"service.name": "support-agent"})
    scope = Scope(name="bench")
    next_id = iter(range(trace << 32, (trace + 1) << 32))

    def make(
        name: str, parent: str, start: int, duration: int, attributes: dict[str, AnyValue]
    ) -> Span:
        return Span(
            trace_id=trace_id,
            span_id=f"{next(next_id):016x}",
            parent_span_id=parent,
            name=name,
            kind=SpanKind.INTERNAL,
            start_time_unix_nano=start,
            end_time_unix_nano=start + duration,
            attributes=attributes,
            resource=resource,
            scope=scope,
        )

    root = make(
        "invoke_agent support",
        "",
        T0,
        0,
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"},
    )
    spans = [root]
    clock = T0
    for turn in plan:
        turn_span = make("turn", root.span_id, clock, 0, {"turn.question": turn.question})
        spans.append(turn_span)
        previous_reply = ""
        for step in turn.steps:
            duration = rng.randrange(50, 3000) * MILLISECOND
            attributes: dict[str, AnyValue]
            if step.kind == "chat":
                messages = [
                    {"role": "user", "parts": [{"type": "text", "content": turn.question}]},
                    {"role": "assistant", "parts": [{"type": "text", "content": previous_reply}]},
                ]
                attributes = {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": step.name,
                    "gen_ai.request.temperature": 0.2,
                    "gen_ai.response.id": f"chatcmpl-{rng.randrange(10**12)}",
                    "gen_ai.input.messages": json.dumps(messages),
                    "gen_ai.output.messages": json.dumps(
                        [{"role": "assistant", "parts": [{"type": "text", "content": step.reply}]}]
                    ),
                    "gen_ai.usage.input_tokens": rng.randrange(200, 4000),
                    "gen_ai.usage.output_tokens": rng.randrange(5, 400),
                }
                name = f"chat {step.name}"
            else:
                attributes = {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": step.name,
                    "gen_ai.tool.call.id": f"call_{rng.randrange(10**12)}",
                    "gen_ai.tool.call.arguments": step.arguments,
                    "gen_ai.tool.call.result": step.reply,
                }
                name = f"execute_tool {step.name}"
            span = make(name, turn_span.span_id, clock, duration, attributes)
            target = link_to(turn.origin, step.origin) if link_to and step.origin >= 0 else None
            if target:
                link = SpanLink(*target, attributes={REPLAY_LINK_TYPE_KEY: REPLAY_OF})
                span = replace(span, links=(link,))
            spans.append(span)
            previous_reply = step.reply
            clock += duration
        spans[-len(turn.steps) - 1] = replace(turn_span, end_time_unix_nano=clock)
        clock += rng.randrange(1000, 20000) * MILLISECOND
    spans[0] = replace(root, end_time_unix_nano=clock)
    return spans[:limit]


def time_diff(original: list[Span], replay: list[Span], repeats: int) -> list[float]:
    seconds: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        diff_span_trees(original, replay)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=10_000, help="spans per trace")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    rng = random.Random(options.seed)
    original_plan = plan_original(rng, turns=options.spans // 4)
    replay_plan = plan_replay(rng, original_plan)
    original = build_trace(rng, original_plan, 1, options.spans)
    replay = build_trace(rng, replay_plan, 2, options.spans)

    # Where each planned original step landed, for the linked variant.
    step_span: dict[tuple[int, int], tuple[str, str]] = {}
    by_id = iter(original[2:])
    for turn in original_plan:
        for step in turn.steps:
            span = next(by_id, None)
            if span is None:
                break
            step_span[turn.origin, step.origin] = (span.trace_id, span.span_id)
        next(by_id, None)  # the next turn span
    linked = build_trace(
        random.Random(options.seed),
        replay_plan,
        3,
        options.spans,
        lambda turn, step: step_span.get((turn, step)),
    )

    print(f"original: {len(original)} spans, replay: {len(replay)} spans, one trace each")
    for label, other in (("keys", replay), ("links", linked)):
        diff = diff_span_trees(original, other)
        summary = diff.summary
        bases = Counter(str(step.node.matched_by) for step in diff.walk() if step.node.matched_by)
        print(
            f"summary ({label}): same={summary.same} added={summary.added} "
            f"removed={summary.removed} changed={summary.changed}; matched by "
            + ", ".join(f"{basis}={count}" for basis, count in sorted(bases.items()))
        )
    for label, other in (("keys", replay), ("links", linked)):
        seconds = time_diff(original, other, options.repeats)
        median = statistics.median(seconds)
        rate = (len(original) + len(other)) / median
        print(
            f"diff_span_trees ({label}): median {median:.3f} s, min {min(seconds):.3f} s "
            f"over {options.repeats} runs, {rate:,.0f} spans/s"
        )


if __name__ == "__main__":
    main()
