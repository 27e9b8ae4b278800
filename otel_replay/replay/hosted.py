"""Hosted voice agents as replay targets: `vapi://ASSISTANT_ID` (Vapi's chat API) and
`retell://AGENT_ID[@VERSION]` (Retell's agent playground completion).

Each user turn is one text request to the platform; the agent's tool calls are answered from
the recording (`hosted_vapi`, `hosted_retell` say how), never by the user's live tool
servers unless the tool is named in `--live-tools`. Each turn records a `chat {platform}`
client span (the platform's answer) and the sealed tools' `execute_tool` spans under the
replay's turn span, which the runner links to the originals as it does for local agents.

Keys come from the environment (`VAPI_API_KEY`, `RETELL_API_KEY`); the base URLs too
(`OTEL_REPLAY_VAPI_BASE_URL`, `OTEL_REPLAY_RETELL_BASE_URL`), for tests and proxies.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from otel_replay.core.errors import BadInputError, OtelReplayError
from otel_replay.replay.tools import result_text
from otel_replay.semconv.attributes import GenAI, VoiceCall

# The hosted client spans are the agent's own work (like an LLM call's span), not the
# runner's scaffolding: they keep a scope of their own.
HOSTED_TRACER_NAME = "otel_replay.hosted"


class HostedPlatform(StrEnum):
    VAPI = "vapi"
    RETELL = "retell"


@dataclass(frozen=True)
class PlatformAccess:
    key_env: str
    base_url_env: str
    default_base_url: str


ACCESS: dict[HostedPlatform, PlatformAccess] = {
    HostedPlatform.VAPI: PlatformAccess(
        "VAPI_API_KEY", "OTEL_REPLAY_VAPI_BASE_URL", "https://api.vapi.ai"
    ),
    HostedPlatform.RETELL: PlatformAccess(
        "RETELL_API_KEY", "OTEL_REPLAY_RETELL_BASE_URL", "https://api.retellai.com"
    ),
}


class HostedAgentError(OtelReplayError):
    """The platform refused or failed a request; the turn fails with this message."""


@dataclass(frozen=True)
class HostedRef:
    """A hosted agent by name: `vapi://ASSISTANT_ID`, `retell://AGENT_ID[@VERSION]`."""

    platform: HostedPlatform
    agent_id: str
    version: str | None = None

    @property
    def label(self) -> str:
        suffix = f"@{self.version}" if self.version else ""
        return f"{self.platform.value}://{self.agent_id}{suffix}"


HOSTED_SCHEMES = tuple(f"{p.value}://" for p in HostedPlatform)


def parse_hosted_ref(text: str) -> HostedRef | None:
    """The hosted agent a reference names; None when it has no hosted scheme (a Python
    module named `vapi` is `vapi:ATTR`, never `vapi://`)."""
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in HostedPlatform.__members__.values():
        return None
    platform = HostedPlatform(scheme)
    agent_id, at, version = rest.partition("@")
    agent_id = agent_id.strip("/")
    if not agent_id or "/" in agent_id or (at and not version):
        raise BadInputError(
            f"agent {text!r}: write vapi://ASSISTANT_ID or retell://AGENT_ID[@VERSION]"
        )
    if at and platform is HostedPlatform.VAPI:
        raise BadInputError(f"agent {text!r}: a Vapi assistant takes no @VERSION")
    return HostedRef(platform, agent_id, version or None)


@dataclass(frozen=True)
class HostedClient:
    """JSON over HTTPS to one platform, with its key (never shown in messages)."""

    platform: HostedPlatform
    base_url: str
    api_key: str
    timeout: float

    @classmethod
    def from_env(
        cls, platform: HostedPlatform, timeout: float, env: Mapping[str, str] | None = None
    ) -> HostedClient:
        environ = os.environ if env is None else env
        access = ACCESS[platform]
        key = environ.get(access.key_env, "").strip()
        if not key:
            raise BadInputError(f"{platform.value}:// agents need an API key in {access.key_env}")
        base = environ.get(access.base_url_env, "").strip() or access.default_base_url
        return cls(platform, base.rstrip("/"), key, timeout)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """The decoded JSON answer; HostedAgentError on an HTTP error or a bad answer."""
        data = None if body is None else json.dumps(body, default=str).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        where = f"{self.platform.value} {method} {path}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                detail = " ".join(exc.read(500).decode("utf-8", "replace").split())
            raise HostedAgentError(f"{where} answered HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise HostedAgentError(f"{where} failed: {exc}") from None
        try:
            return json.loads(payload or b"null")
        except ValueError:
            raise HostedAgentError(f"{where} answered with something other than JSON") from None


def turn_carrier() -> dict[str, str]:
    """The current turn's `traceparent`, for tool calls answered on another thread."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def platform_span(
    platform: HostedPlatform, agent_id: str, messages: Sequence[Mapping[str, Any]]
) -> Iterator[trace.Span]:
    """The client span of one request to the platform, as an OTel GenAI `chat` span."""
    tracer = trace.get_tracer(HOSTED_TRACER_NAME)
    attributes = {
        GenAI.OPERATION_NAME: "chat",
        GenAI.PROVIDER_NAME: platform.value,
        GenAI.REQUEST_MODEL: agent_id,
        GenAI.INPUT_MESSAGES: result_text(
            [{"role": m.get("role"), "content": m.get("content")} for m in messages]
        ),
    }
    with tracer.start_as_current_span(
        f"chat {platform.value}", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        yield span


def record_reply(span: trace.Span, text: str, cost: Any = None) -> None:
    """The platform's answer on its span, and what the request cost when it says (US
    dollars, under the voice-call cost key: the replay's voice metrics add them up)."""
    span.set_attribute(
        GenAI.OUTPUT_MESSAGES,
        result_text([{"role": "assistant", "parts": [{"type": "text", "content": text}]}]),
    )
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        span.set_attribute(VoiceCall.COST_USD, float(cost))


def plain_history(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(role, text) of the user and assistant messages, to compare histories."""
    return [
        (str(m.get("role")), str(m.get("content") or ""))
        for m in messages
        if m.get("role") in ("user", "assistant")
    ]
