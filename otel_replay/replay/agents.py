"""Loading the agent under replay: a Python callable (`MODULE:ATTR`) or an OpenAI-compatible URL."""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import inspect
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

from opentelemetry import propagate, trace

from otel_replay.core.errors import BadInputError, OtelReplayError
from otel_replay.replay.remote import ReplayBridge, running_bridge

ChatMessage = dict[str, Any]


class AgentLoadError(BadInputError):
    """The agent named on the command line cannot be imported or is not callable."""


class AgentSession(Protocol):
    """One conversation with the agent: given the messages so far, the assistant's reply."""

    def __call__(self, messages: list[ChatMessage]) -> ChatMessage: ...

    def close(self) -> None: ...


AgentFactory = Callable[[], AgentSession]


def normalise_reply(reply: Any) -> ChatMessage:
    """A reply as an assistant message dict: from a string, a dict, or a pydantic-like object."""
    if hasattr(reply, "model_dump"):
        reply = reply.model_dump(exclude_none=True)
    if isinstance(reply, str):
        return {"role": "assistant", "content": reply}
    if isinstance(reply, dict):
        message = dict(reply)
        if not isinstance(message.get("content"), str | None) or not (
            "content" in message or message.get("tool_calls")
        ):
            raise OtelReplayError(
                f"the agent returned a dict without a text 'content' (keys: {sorted(message)}): "
                "return a string or an assistant message dict"
            )
        message.setdefault("role", "assistant")
        return message
    raise OtelReplayError(
        f"the agent returned {type(reply).__name__}: return a string or an assistant message dict"
    )


class _CallableSession:
    """Adapts a sync or async callable; async ones share one event loop per session, and each
    turn runs in a copy of the caller's context (a runner's own context is copied once, on
    its first run: later turns would see the first turn's playback and span)."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function
        self._runner: asyncio.Runner | None = None

    def __call__(self, messages: list[ChatMessage]) -> ChatMessage:
        result = self._function(messages)
        if inspect.isawaitable(result):
            if self._runner is None:
                self._runner = asyncio.Runner()
            result = self._runner.run(_await(result), context=contextvars.copy_context())
        return normalise_reply(result)

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _takes_no_arguments(target: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return False
    return not any(
        p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for p in signature.parameters.values()
    )


def load_agent(spec: str, search_path: str | None = None) -> AgentFactory:
    """Import `MODULE:ATTR`. A class or a callable taking no arguments is a factory, called
    once per session; anything else callable answers turns directly and is shared."""
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name or not attr_path:
        raise AgentLoadError(f"agent {spec!r} is not MODULE:ATTR (for example my_app.agent:answer)")
    folder = search_path if search_path is not None else os.getcwd()
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise AgentLoadError(f"cannot import agent module {module_name!r}: {exc}") from exc
    for part in attr_path.split("."):
        if not hasattr(target, part):
            raise AgentLoadError(f"module {module_name!r} has no attribute {attr_path!r}")
        target = getattr(target, part)
    if not callable(target):
        raise AgentLoadError(f"agent {spec!r} is not callable")
    if inspect.isclass(target) or _takes_no_arguments(target):
        factory = target

        def new_session() -> AgentSession:
            made = factory()
            if not callable(made):
                raise OtelReplayError(f"agent factory {spec!r} returned a non-callable {made!r}")
            return _CallableSession(made)

        return new_session
    shared = target
    return lambda: _CallableSession(shared)


class _HttpSession:
    """Posts the conversation to an OpenAI-compatible /v1/chat/completions endpoint, with W3C
    `traceparent` and `baggage` headers so the service's own spans join the replay trace.

    While a replay bridge runs (`remote.replay_bridge`), every request also names it
    (`X-Otel-Replay-Otlp-Endpoint`, `X-Otel-Replay-Live-Tools`), and closing the session waits
    up to `span_timeout` seconds for the service's spans of every turn to arrive there."""

    def __init__(self, url: str, model: str | None, timeout: float, span_timeout: float) -> None:
        self._url = url
        self._model = model
        self._timeout = timeout
        self._span_timeout = span_timeout
        self._turn_spans: list[tuple[int, int]] = []  # (trace id, span id) each request named

    def __call__(self, messages: list[ChatMessage]) -> ChatMessage:
        body = json.dumps({"model": self._model or "replay", "messages": messages}).encode()
        headers = {"Content-Type": "application/json"}
        propagate.inject(headers)
        bridge = running_bridge()
        if bridge is not None:
            headers.update(bridge.request_headers())
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                self._answered(bridge)
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            self._answered(bridge)
            raise OtelReplayError(f"agent at {self._url} answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise OtelReplayError(f"agent at {self._url} failed: {exc}") from exc
        try:
            return normalise_reply(payload["choices"][0]["message"])
        except (KeyError, IndexError, TypeError) as exc:
            raise OtelReplayError(f"agent at {self._url} sent no choices[0].message") from exc

    def _answered(self, bridge: ReplayBridge | None) -> None:
        """The service answered this turn: its spans are to be waited for (a service that
        could not be reached sent none)."""
        span_context = trace.get_current_span().get_span_context()
        if bridge is not None and span_context.is_valid:
            self._turn_spans.append((span_context.trace_id, span_context.span_id))

    def close(self) -> None:
        turn_spans, self._turn_spans = self._turn_spans, []
        bridge = running_bridge()
        if bridge is not None and turn_spans and self._span_timeout > 0:
            bridge.wait_for_service_spans(turn_spans, self._span_timeout)


# Exporters batch spans (5 s by default in the OpenTelemetry SDKs): wait a little longer.
DEFAULT_SPAN_TIMEOUT_SECONDS = 10.0


def http_agent(
    url: str,
    model: str | None = None,
    timeout: float = 120.0,
    *,
    span_timeout: float = DEFAULT_SPAN_TIMEOUT_SECONDS,
) -> AgentFactory:
    """An agent behind an OpenAI-compatible URL (the full /v1/chat/completions address).

    `span_timeout`: while a replay bridge runs, how long the end of each conversation waits
    for the service's spans (0: not at all)."""
    if not url.startswith(("http://", "https://")):
        raise AgentLoadError(f"agent URL {url!r} must start with http:// or https://")
    if not url.rstrip("/").endswith("/chat/completions"):
        url = url.rstrip("/") + (
            "/chat/completions" if url.rstrip("/").endswith("/v1") else "/v1/chat/completions"
        )
    return lambda: _HttpSession(url, model, timeout, span_timeout)
