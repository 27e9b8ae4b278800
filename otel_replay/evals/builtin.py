"""The built-in evaluators: tool calls, reply similarity and shape, latency and token budgets."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Self

from jsonschema.exceptions import SchemaError, best_match
from jsonschema.validators import validator_for
from pydantic import Field, JsonValue, field_validator, model_validator

from otel_replay.diff.transcript import measure_reply_similarity
from otel_replay.evals.base import (
    A,
    Arguments,
    Check,
    Evaluator,
    NoArguments,
    Scope,
    TurnPair,
    Verdict,
    format_turns,
)


class BuiltinEvaluator(StrEnum):
    TOOL_CALLS_EQUAL = "tool_calls_equal"
    TOOL_CALLED = "tool_called"
    TOOL_NOT_CALLED = "tool_not_called"
    REPLY_SIMILARITY = "reply_similarity"
    LATENCY_BUDGET = "latency_budget"
    TOKEN_BUDGET = "token_budget"
    REPLY_IS_JSON = "reply_is_json"
    REPLY_MATCHES_SCHEMA = "reply_matches_schema"


def _per_turn(check: Callable[[TurnPair, A], Verdict]) -> Check[A]:
    def run(pairs: Sequence[TurnPair], args: A) -> Verdict:
        return check(pairs[0], args)

    return run


def _names(names: Sequence[str]) -> str:
    return f"[{', '.join(names)}]"


class ToolCallsEqualArgs(Arguments):
    # The tool names the replay must call, in order; by default the original's.
    expected: list[str] | None = None
    # Also require the original's arguments, call by call.
    arguments: bool = False

    @model_validator(mode="after")
    def _one_reference(self) -> Self:
        if self.expected is not None and self.arguments:
            raise ValueError("`arguments` compares with the original's calls, not `expected`")
        return self


def _check_tool_calls_equal(pair: TurnPair, args: ToolCallsEqualArgs) -> Verdict:
    called = [c.name for c in pair.replayed.tool_calls]
    reference = "expected" if args.expected is not None else "original"
    wanted = (
        args.expected if args.expected is not None else [c.name for c in pair.original.tool_calls]
    )
    if called != wanted:
        return Verdict(False, None, f"called {_names(called)}, {reference} {_names(wanted)}")
    if args.arguments:
        for before, after in zip(pair.original.tool_calls, pair.replayed.tool_calls, strict=True):
            if before.arguments != after.arguments:
                return Verdict(
                    False,
                    None,
                    f"{after.name} called with {json.dumps(after.arguments, sort_keys=True)}, "
                    f"original {json.dumps(before.arguments, sort_keys=True)}",
                )
    return Verdict(True, None, f"called {_names(called)} as {reference}")


class ToolArgs(Arguments):
    tool: str = Field(min_length=1)


def _count_calls(pairs: Sequence[TurnPair], tool: str) -> tuple[int, list[int]]:
    count, turns = 0, []
    for pair in pairs:
        calls = sum(1 for c in pair.replayed.tool_calls if c.name == tool)
        if calls:
            count += calls
            turns.append(pair.index)
    return count, turns


def _where(pairs: Sequence[TurnPair]) -> str:
    return f"in {format_turns([pairs[0].index])}" if len(pairs) == 1 else "in any turn"


def _check_tool_called(pairs: Sequence[TurnPair], args: ToolArgs) -> Verdict:
    count, turns = _count_calls(pairs, args.tool)
    if count:
        return Verdict(True, float(count), f"{args.tool} called in {format_turns(turns)}")
    return Verdict(False, 0.0, f"{args.tool} not called {_where(pairs)}")


def _check_tool_not_called(pairs: Sequence[TurnPair], args: ToolArgs) -> Verdict:
    count, turns = _count_calls(pairs, args.tool)
    if count:
        return Verdict(False, float(count), f"{args.tool} called in {format_turns(turns)}")
    return Verdict(True, 0.0, f"{args.tool} not called {_where(pairs)}")


class SimilarityArgs(Arguments):
    threshold: float = Field(default=0.8, ge=0.0, le=1.0)
    # The reply to compare with; by default the original's. A regression case pins the
    # reply it was saved with, whatever the scenario's recording says.
    expected: str | None = None


def _check_reply_similarity(pair: TurnPair, args: SimilarityArgs) -> Verdict:
    reference = pair.original.assistant if args.expected is None else args.expected
    similarity = measure_reply_similarity(reference, pair.replayed.assistant)
    passed = similarity >= args.threshold
    relation = ">=" if passed else "<"
    detail = f"reply similarity {similarity:.2f} {relation} threshold {args.threshold:.2f}"
    return Verdict(passed, similarity, detail)


class LatencyArgs(Arguments):
    max_ms: float = Field(ge=0.0)


def _check_latency_budget(pair: TurnPair, args: LatencyArgs) -> Verdict:
    latency = pair.replayed.latency_ms
    if latency is None:
        return Verdict(False, None, "latency not recorded")
    passed = latency <= args.max_ms
    relation = "within" if passed else "over"
    return Verdict(passed, latency, f"latency {latency:g} ms {relation} budget {args.max_ms:g} ms")


class TokenArgs(Arguments):
    max_input: int | None = Field(default=None, ge=0)
    max_output: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _some_budget(self) -> Self:
        if self.max_input is None and self.max_output is None:
            raise ValueError("give max_input, max_output or both")
        return self


def _check_token_budget(pair: TurnPair, args: TokenArgs) -> Verdict:
    side = pair.replayed
    budgets = (
        ("input", side.input_tokens, args.max_input),
        ("output", side.output_tokens, args.max_output),
    )
    problems, fine = [], []
    for label, used, limit in budgets:
        if limit is None:
            continue
        if used is None:
            problems.append(f"{label} tokens not recorded")
        elif used > limit:
            problems.append(f"{label} tokens {used} over budget {limit}")
        else:
            fine.append(f"{label} tokens {used} within budget {limit}")
    return Verdict(not problems, None, "; ".join(problems or fine))


def _load_reply(text: str | None) -> tuple[bool, Any, str]:
    """(parsed, value, problem) for a reply expected to be JSON."""
    if text is None:
        return False, None, "no reply"
    try:
        return True, json.loads(text), ""
    except json.JSONDecodeError as exc:
        return False, None, f"reply is not JSON: {exc}"


def _check_reply_is_json(pair: TurnPair, args: NoArguments) -> Verdict:
    parsed, _, problem = _load_reply(pair.replayed.assistant)
    return Verdict(parsed, None, "reply is JSON" if parsed else problem)


class SchemaArgs(Arguments):
    # `schema` would shadow a BaseModel method, hence the alias.
    json_schema: dict[str, JsonValue] = Field(alias="schema")

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        try:
            validator_for(value).check_schema(value)
        except SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from exc
        return value


def _check_reply_matches_schema(pair: TurnPair, args: SchemaArgs) -> Verdict:
    parsed, value, problem = _load_reply(pair.replayed.assistant)
    if not parsed:
        return Verdict(False, None, problem)
    validator = validator_for(args.json_schema)(args.json_schema)
    error = best_match(validator.iter_errors(value))
    if error is None:
        return Verdict(True, None, "reply matches the schema")
    where = "/" + "/".join(str(p) for p in error.absolute_path)
    return Verdict(False, None, f"reply does not match the schema at {where}: {error.message}")


BUILTIN_EVALUATORS: dict[str, Evaluator[Any]] = {
    e.name: e
    for e in (
        Evaluator(
            BuiltinEvaluator.TOOL_CALLS_EQUAL,
            "the turn calls the same tools, in order (args: expected, arguments)",
            Scope.TURN,
            ToolCallsEqualArgs,
            _per_turn(_check_tool_calls_equal),
        ),
        Evaluator(
            BuiltinEvaluator.TOOL_CALLED,
            "the tool is called (args: tool)",
            Scope.SESSION,
            ToolArgs,
            _check_tool_called,
        ),
        Evaluator(
            BuiltinEvaluator.TOOL_NOT_CALLED,
            "the tool is never called (args: tool)",
            Scope.SESSION,
            ToolArgs,
            _check_tool_not_called,
        ),
        Evaluator(
            BuiltinEvaluator.REPLY_SIMILARITY,
            "the reply's words match the original's (args: threshold, default 0.8; expected)",
            Scope.TURN,
            SimilarityArgs,
            _per_turn(_check_reply_similarity),
        ),
        Evaluator(
            BuiltinEvaluator.LATENCY_BUDGET,
            "the turn answers within max_ms",
            Scope.TURN,
            LatencyArgs,
            _per_turn(_check_latency_budget),
        ),
        Evaluator(
            BuiltinEvaluator.TOKEN_BUDGET,
            "the turn uses at most max_input / max_output tokens",
            Scope.TURN,
            TokenArgs,
            _per_turn(_check_token_budget),
        ),
        Evaluator(
            BuiltinEvaluator.REPLY_IS_JSON,
            "the reply is JSON",
            Scope.TURN,
            NoArguments,
            _per_turn(_check_reply_is_json),
        ),
        Evaluator(
            BuiltinEvaluator.REPLY_MATCHES_SCHEMA,
            "the reply is JSON valid against a JSON Schema (args: schema)",
            Scope.TURN,
            SchemaArgs,
            _per_turn(_check_reply_matches_schema),
        ),
    )
}
