"""OpenAI-compatible HTTP endpoints the evaluators call: embeddings and a judge model.

The standard library only, so the default install needs no client. The key comes from the
environment when the check runs: `OTEL_REPLAY_EVALS_API_KEY`, else `OPENAI_API_KEY`.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping

from pydantic import JsonValue

from otel_replay.core.errors import OtelReplayError

OPENAI_BASE_URL = "https://api.openai.com/v1"
API_KEY_VARIABLES = ("OTEL_REPLAY_EVALS_API_KEY", "OPENAI_API_KEY")
DEFAULT_TIMEOUT_SECONDS = 60.0
_SHOWN_BODY = 200


class EndpointError(OtelReplayError):
    """An endpoint that did not answer, or answered something else than we asked for."""


def resolve_url(endpoint: str, path: str) -> str:
    """The full address of `path` (`embeddings`, `chat/completions`) at `endpoint`, which is
    a base URL as OpenAI clients take it (`http://host:8000/v1`) or already the full one."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/" + path) else f"{base}/{path}"


def read_api_key(environ: Mapping[str, str] | None = None) -> str | None:
    """The key for evaluator endpoints, None when none is set."""
    env = os.environ if environ is None else environ
    return next((env[name] for name in API_KEY_VARIABLES if env.get(name)), None)


def post_json(
    url: str,
    payload: Mapping[str, JsonValue],
    *,
    api_key: str | None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> JsonValue:
    """POST `payload` as JSON and return the JSON answer; EndpointError naming `url` when
    there is no answer, an HTTP error or a body that is not JSON."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw: bytes = response.read()
    except urllib.error.HTTPError as error:
        with error:
            shown = error.read()[:_SHOWN_BODY].decode(errors="replace")
        raise EndpointError(f"{url} answered HTTP {error.code}: {shown}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise EndpointError(f"{url} did not answer: {reason}") from error
    try:
        answer: JsonValue = json.loads(raw)
    except ValueError as error:
        shown = raw[:_SHOWN_BODY].decode(errors="replace")
        raise EndpointError(f"{url} answered something other than JSON: {shown!r}") from error
    return answer
