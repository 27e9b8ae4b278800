"""The user model: any OpenAI-compatible chat completions endpoint, asked for one JSON object.

Plain HTTP through `evals.endpoint` (no client library needed). The key comes from the
environment as for evaluator endpoints (`OTEL_REPLAY_EVALS_API_KEY`, else `OPENAI_API_KEY`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, JsonValue, ValidationError

from otel_replay.core.errors import OtelReplayError
from otel_replay.evals.endpoint import (
    DEFAULT_TIMEOUT_SECONDS,
    EndpointError,
    post_json,
    read_api_key,
    resolve_url,
)

USER_MODEL_NAME_VARIABLE = "OTEL_REPLAY_USER_MODEL_NAME"
DEFAULT_USER_MODEL_NAME = "gpt-4o-mini"
# Models asked for bare JSON still wrap it in a Markdown fence now and then.
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_SHOWN = 200

M = TypeVar("M", bound=BaseModel)


class UserModelError(OtelReplayError):
    """The user model did not answer, or answered something other than what was asked."""


@dataclass(frozen=True)
class UserModel:
    """Where the simulated user's model is: a base URL (`http://host:8000/v1`) or the full
    chat address, and the model name sent with each request."""

    url: str
    model: str = DEFAULT_USER_MODEL_NAME
    temperature: float = 0.7
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def at(cls, url: str, model: str | None = None) -> UserModel:
        """The model at `url`; its name from `model`, else $OTEL_REPLAY_USER_MODEL_NAME."""
        name = model or os.environ.get(USER_MODEL_NAME_VARIABLE) or DEFAULT_USER_MODEL_NAME
        return cls(url, name)

    @property
    def chat_url(self) -> str:
        return resolve_url(self.url, "chat/completions")

    @property
    def label(self) -> str:
        """How runs and scenarios name it: `model at URL`."""
        return f"{self.model} at {self.url}"

    def ask(self, system: str, prompt: str, answer: type[M]) -> M:
        """Ask for one JSON object and validate it against `answer`; UserModelError names the
        endpoint and what was wrong."""
        payload: dict[str, JsonValue] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": prompt},
            ],
            "temperature": self.temperature,
        }
        try:
            completion = post_json(
                self.chat_url, payload, api_key=read_api_key(), timeout=self.timeout_seconds
            )
        except EndpointError as exc:
            raise UserModelError(f"user model: {exc}") from exc
        text = _content(completion, self.chat_url)
        fenced = _FENCE.match(text)
        try:
            data = json.loads(fenced.group(1) if fenced else text)
        except ValueError:
            raise UserModelError(
                f"user model {self.chat_url} answered text that is not JSON: {text[:_SHOWN]!r}"
            ) from None
        try:
            return answer.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}"
                for e in exc.errors()
            )
            raise UserModelError(
                f"user model {self.chat_url} answered JSON that is not what was asked "
                f"({problems}): {text[:_SHOWN]!r}"
            ) from None


def _content(completion: JsonValue, url: str) -> str:
    choices = completion.get("choices") if isinstance(completion, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise UserModelError(f"user model {url} answered without text in choices[0].message")
    return content.strip()


def format_exchanges(exchanges: Sequence[tuple[str | None, str | None]]) -> str:
    """A conversation as the prompts show it: `User: ...` and `Assistant: ...` lines."""
    lines = []
    for user, assistant in exchanges:
        lines.append(f"User: {user if user is not None else '(nothing)'}")
        lines.append(f"Assistant: {assistant if assistant else '(no reply)'}")
    return "\n".join(lines)
