"""The built-in evaluators: tool calls, reply similarity and shape, latency and token budgets,
and a judge model."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Self

from jsonschema.exceptions import SchemaError, best_match
from jsonschema.validators import validator_for
from pydantic import Field, JsonValue, field_validator, model_validator

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
from otel_replay.evals.embeddings import (
    EXTRA_HINT,
    has_local_embeddings,
    measure_embedding_similarity,
)
from otel_replay.evals.endpoint import EndpointError
from otel_replay.evals.judge import JudgeArgs, check_llm_judge
from otel_replay.evals.similarity import LEXICAL_THRESHOLD, ReplyComparison, compare_replies


class BuiltinEvaluator(StrEnum):
    TOOL_CALLS_EQUAL = "tool_calls_equal"
    TOOL_CALLED = "tool_called"
    TOOL_NOT_CALLED = "tool_not_called"
    REPLY_SIMILARITY = "reply_similarity"
    LATENCY_BUDGET = "latency_budget"
    TOKEN_BUDGET = "token_budget"
    REPLY_IS_JSON = "reply_is_json"
    REPLY_MATCHES_SCHEMA = "reply_matches_schema"
    LLM_JUDGE = "llm_judge"


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


class SimilarityMethod(StrEnum):
    LEXICAL = "lexical"  # content words and key facts (evals/similarity.py); no dependency
    EMBEDDINGS = "embeddings"  # cosine of embeddings from an endpoint or a local model


DEFAULT_THRESHOLDS: dict[SimilarityMethod, float] = {
    SimilarityMethod.LEXICAL: LEXICAL_THRESHOLD,
    # Not calibrated here (no model in the tests): a common cut for sentence embeddings.
    # bench/similarity.py --endpoint calibrates it for yours.
    SimilarityMethod.EMBEDDINGS: 0.8,
}


class SimilarityArgs(Arguments):
    # By default the method's: DEFAULT_THRESHOLDS.
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # The reply to compare with; by default the original's. A regression case pins the
    # reply it was saved with, whatever the scenario's recording says.
    expected: str | None = None
    method: SimilarityMethod = SimilarityMethod.LEXICAL
    # embeddings: an OpenAI-compatible base URL (`http://host:8000/v1`); without one, a
    # local sentence-transformers model. `model` names the embedding model either way.
    endpoint: str | None = Field(default=None, min_length=1)
    model: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _method_options(self) -> Self:
        if self.method is SimilarityMethod.LEXICAL and (self.endpoint or self.model):
            raise ValueError("`endpoint` and `model` are for method embeddings")
        if (
            self.method is SimilarityMethod.EMBEDDINGS
            and self.endpoint is None
            and not has_local_embeddings()
        ):
            raise ValueError(f"method embeddings needs `endpoint` or a local model ({EXTRA_HINT})")
        return self

    @property
    def cut(self) -> float:
        return DEFAULT_THRESHOLDS[self.method] if self.threshold is None else self.threshold


def _measure(reference: str | None, reply: str | None, args: SimilarityArgs) -> ReplyComparison:
    if args.method is SimilarityMethod.LEXICAL:
        return compare_replies(reference, reply)
    similarity = measure_embedding_similarity(
        reference, reply, endpoint=args.endpoint, model=args.model
    )
    return ReplyComparison(similarity)


def _check_reply_similarity(pair: TurnPair, args: SimilarityArgs) -> Verdict:
    reference = pair.original.assistant if args.expected is None else args.expected
    try:
        comparison = _measure(reference, pair.replayed.assistant, args)
    except EndpointError as exc:
        return Verdict(False, None, f"embeddings failed: {exc}")
    similarity = comparison.similarity
    passed = similarity >= args.cut
    relation = ">=" if passed else "<"
    detail = f"reply similarity {similarity:.2f} {relation} threshold {args.cut:.2f}"
    if args.method is SimilarityMethod.EMBEDDINGS:
        detail += " (embeddings)"
    if comparison.conflicts:
        detail += f"; differs in {', '.join(comparison.conflicts)}"
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
            "the reply says what the original's said (args: threshold, expected, "
            "method lexical|embeddings, endpoint, model)",
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
        Evaluator(
            BuiltinEvaluator.LLM_JUDGE,
            "a judge model passes the reply against a rubric "
            "(args: rubric, endpoint, model, timeout_seconds)",
            Scope.TURN,
            JudgeArgs,
            _per_turn(check_llm_judge),
        ),
    )
}
