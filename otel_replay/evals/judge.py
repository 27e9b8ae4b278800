"""`llm_judge`: a model reads the replayed turn against a rubric and says pass or fail.

Any OpenAI-compatible `/v1/chat/completions` endpoint will do. The judge is asked for a
JSON verdict `{"pass": bool, "reason": str}`; its reason becomes the score's detail. A
judge that cannot be reached or does not answer a verdict fails the check, naming the
endpoint. Defaults: endpoint `OTEL_REPLAY_JUDGE_URL`, else OpenAI; model
`OTEL_REPLAY_JUDGE_MODEL`, else `gpt-4o-mini`; key as in `endpoint.py`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence

from pydantic import Field, JsonValue

from otel_replay.evals.base import Arguments, TurnPair, Verdict
from otel_replay.evals.endpoint import (
    DEFAULT_TIMEOUT_SECONDS,
    OPENAI_BASE_URL,
    EndpointError,
    post_json,
    read_api_key,
    resolve_url,
)

JUDGE_URL_VARIABLE = "OTEL_REPLAY_JUDGE_URL"
JUDGE_MODEL_VARIABLE = "OTEL_REPLAY_JUDGE_MODEL"
DEFAULT_JUDGE_MODEL = "gpt-4o-mini"

JUDGE_INSTRUCTIONS = (
    "You judge one reply of an AI assistant, from a replayed conversation, against a "
    "rubric. Judge only what the rubric asks. Answer with a single JSON object and nothing "
    'else: {"pass": true or false, "reason": "one sentence saying why"}.'
)
# Models asked for bare JSON still wrap it in a Markdown fence now and then.
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class JudgeArgs(Arguments):
    rubric: str = Field(min_length=1)
    # An OpenAI-compatible base URL (`http://host:8000/v1`) or the full chat address.
    endpoint: str | None = Field(default=None, min_length=1)
    model: str | None = Field(default=None, min_length=1)
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0)


def _describe_side(reply: str | None, tools: Sequence[str]) -> str:
    called = ", ".join(tools) if tools else "none"
    return f"{reply if reply is not None else '(no reply)'}\n(tools called: {called})"


def build_judge_messages(pair: TurnPair, rubric: str) -> list[JsonValue]:
    """The chat messages that put one replayed turn and the rubric to the judge."""
    prompt = "\n\n".join(
        (
            f"Rubric:\n{rubric}",
            f"User message:\n{pair.user if pair.user is not None else '(none recorded)'}",
            "Recorded reply (for reference):\n"
            + _describe_side(pair.original.assistant, [c.name for c in pair.original.tool_calls]),
            "Replayed reply (judge this one):\n"
            + _describe_side(pair.replayed.assistant, [c.name for c in pair.replayed.tool_calls]),
        )
    )
    return [
        {"role": "system", "content": JUDGE_INSTRUCTIONS},
        {"role": "user", "content": prompt},
    ]


def read_judge_verdict(answer: JsonValue) -> tuple[bool, str]:
    """(pass, reason) from a chat completion; ValueError says what was wrong with it."""
    choices = answer.get("choices") if isinstance(answer, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise ValueError("answered without text in choices[0].message.content")
    text = content.strip()
    fenced = _FENCE.match(text)
    try:
        verdict = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        raise ValueError(f"answered a verdict that is not JSON: {text[:200]!r}") from None
    if not isinstance(verdict, dict) or not isinstance(verdict.get("pass"), bool):
        raise ValueError(f'answered JSON without a boolean "pass": {text[:200]!r}')
    reason = verdict.get("reason")
    return verdict["pass"], reason if isinstance(reason, str) and reason else "(no reason given)"


def check_llm_judge(pair: TurnPair, args: JudgeArgs) -> Verdict:
    """Ask the judge about one replayed turn."""
    endpoint = args.endpoint or os.environ.get(JUDGE_URL_VARIABLE) or OPENAI_BASE_URL
    model = args.model or os.environ.get(JUDGE_MODEL_VARIABLE) or DEFAULT_JUDGE_MODEL
    url = resolve_url(endpoint, "chat/completions")
    payload: dict[str, JsonValue] = {
        "model": model,
        "messages": build_judge_messages(pair, args.rubric),
        "temperature": 0,
    }
    try:
        answer = post_json(url, payload, api_key=read_api_key(), timeout=args.timeout_seconds)
        passed, reason = read_judge_verdict(answer)
    except EndpointError as exc:
        return Verdict(False, None, f"judge failed: {exc}")
    except ValueError as exc:
        return Verdict(False, None, f"judge failed: {url} {exc}")
    return Verdict(passed, None, reason)
