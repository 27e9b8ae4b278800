"""The real providers behind a hybrid stand-in: where misses go, and with which key.

The keys are read from the environment once, when the `Upstream` is made
(`Upstream.from_env()`), so that `StandIn.env()` can later hand an agent placeholder keys
without the stand-in forwarding a placeholder. A forwarded request carries the agent's body
unchanged, the provider's own version headers, and the key; nothing else of the agent's
request (its placeholder key least of all). Answers, streams included, are read whole and
then relayed, so the stand-in can log them.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from otel_replay.core.errors import OtelReplayError
from otel_replay.standin.model import ProviderApi

OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
# Request headers passed on to the provider (lower-case); the key is set by the stand-in.
_PASSED_HEADERS = (
    "content-type",
    "accept",
    "anthropic-version",
    "anthropic-beta",
    "openai-organization",
    "openai-project",
)


class UpstreamUnavailableError(OtelReplayError):
    """The real provider could not be reached (or did not answer in time)."""


@dataclass(frozen=True)
class UpstreamReply:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Upstream:
    """The real providers' base URLs (OpenAI's with `/v1`, Anthropic's without, as their
    SDKs take them) and API keys (None: not set)."""

    openai_base_url: str = OPENAI_BASE_URL
    anthropic_base_url: str = ANTHROPIC_BASE_URL
    openai_api_key: str | None = None
    anthropic_api_key: str | None = None
    timeout_seconds: float = 600.0

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        openai_base_url: str = OPENAI_BASE_URL,
        anthropic_base_url: str = ANTHROPIC_BASE_URL,
        timeout_seconds: float = 600.0,
    ) -> Upstream:
        """The providers at these URLs, with OPENAI_API_KEY and ANTHROPIC_API_KEY."""
        env = os.environ if environ is None else environ
        return cls(
            openai_base_url=openai_base_url,
            anthropic_base_url=anthropic_base_url,
            openai_api_key=env.get("OPENAI_API_KEY") or None,
            anthropic_api_key=env.get("ANTHROPIC_API_KEY") or None,
            timeout_seconds=timeout_seconds,
        )

    def key_variable(self, api: ProviderApi) -> str:
        """The environment variable the key for `api` comes from."""
        return "ANTHROPIC_API_KEY" if api is ProviderApi.ANTHROPIC_MESSAGES else "OPENAI_API_KEY"

    def api_key(self, api: ProviderApi) -> str | None:
        if api is ProviderApi.ANTHROPIC_MESSAGES:
            return self.anthropic_api_key
        return self.openai_api_key

    def url(self, api: ProviderApi, path: str) -> str:
        if api is ProviderApi.ANTHROPIC_MESSAGES:
            return self.anthropic_base_url.rstrip("/") + path
        return self.openai_base_url.rstrip("/") + path

    def forward(
        self, api: ProviderApi, path: str, body: bytes, headers: Mapping[str, str], key: str
    ) -> UpstreamReply:
        """POST `body` to the provider; its answer whatever the status, or
        UpstreamUnavailableError when there was none."""
        sent = {name: headers[name] for name in _PASSED_HEADERS if name in headers}
        sent.setdefault("content-type", "application/json")
        if api is ProviderApi.ANTHROPIC_MESSAGES:
            sent["x-api-key"] = key
            sent.setdefault("anthropic-version", ANTHROPIC_VERSION)
        else:
            sent["authorization"] = f"Bearer {key}"
        url = self.url(api, path)
        request = urllib.request.Request(url, data=body, headers=sent, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                return UpstreamReply(
                    response.status,
                    response.headers.get("Content-Type", "application/json"),
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            with error:
                content_type = error.headers.get("Content-Type", "application/json")
                return UpstreamReply(error.code, content_type, error.read())
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise UpstreamUnavailableError(f"{url} did not answer: {reason}") from error
