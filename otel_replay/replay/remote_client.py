"""`otel_replay.remote_tools`: `@otel_replay.tool` inside an agent service under replay.

A Python agent service replayed over HTTP (`--agent-url`) runs in its own process, where no
replay is running. Its request handler names the replay that sent the request:

    with otel_replay.remote_tools(request.headers):  # X-Otel-Replay-Otlp-Endpoint, ...
        reply = agent(messages)

In the block, every `@otel_replay.tool` call asks the replay's `POST /v1/tools/call` for the
recorded result (sending the current `traceparent`) and never runs the tool, unless the
replay names it live. Without the header (and without `OTEL_REPLAY_OTLP_ENDPOINT` in the
environment) the block changes nothing: outside a replay, tools run for real.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry import propagate

from otel_replay.core.errors import OtelReplayError
from otel_replay.replay.matchers import (
    LiveToolCall,
    RecordedToolCall,
    ToolDivergence,
    ToolMatchMode,
    ToolPlayback,
)
from otel_replay.replay.remote_protocol import (
    ENDPOINT_ENV,
    ENDPOINT_HEADER,
    LIVE_TOOLS_ENV,
    LIVE_TOOLS_HEADER,
    TOOLS_CALL_PATH,
    ToolAnswer,
    ToolAnswerKind,
    ToolCallRequest,
    parse_live_tools,
    parse_tool_answer,
)
from otel_replay.replay.sealing import UnattributedToolCallError, tool_playback


class HeaderLookup(Protocol):
    """Request headers: http.server's, Flask's, Starlette's, or a dict."""

    def get(self, key: str, /) -> Any: ...


class RemoteToolError(OtelReplayError):
    """The replay's tool playback could not answer; the tool was not run."""


@dataclass(frozen=True)
class RemoteToolDivergence(ToolDivergence):
    """A call the replay matched to no recorded call; `message` is the replay's account
    (what was asked, and the closest recorded calls with what differed)."""

    message: str = ""

    def describe(self) -> str:
        return self.message


class RemoteToolPlayback(ToolPlayback):
    """A turn's recording, answered by a replay's tool-playback endpoint."""

    def __init__(self, endpoint: str, live_tools: frozenset[str], timeout: float = 30.0) -> None:
        super().__init__(turn_index=-1, recorded=(), live_tools=live_tools)
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def call(
        self, name: str, arguments: dict[str, Any]
    ) -> tuple[LiveToolCall, RecordedToolCall | ToolDivergence | None]:
        live = self.next_call(name, arguments)
        if name in self.live_tools:
            return live, None
        answer = self._ask(ToolCallRequest(name, arguments, record_span=False))
        if answer.kind in (ToolAnswerKind.RESULT, ToolAnswerKind.ERROR):
            ref = answer.recorded
            recorded = RecordedToolCall(
                name,
                arguments,
                result=answer.result,
                error=answer.message if answer.kind is ToolAnswerKind.ERROR else None,
                call_id=ref.call_id if ref else "",
                trace_id=ref.trace_id if ref else "",
                span_id=ref.span_id if ref else "",
            )
            with self._lock:
                self.served.append((live, recorded))
            return live, recorded
        if answer.kind is ToolAnswerKind.UNMATCHED:
            divergence = RemoteToolDivergence(
                self.turn_index, live, ToolMatchMode.STRICT, (), answer.message
            )
            with self._lock:
                self.divergences.append(divergence)
            return live, divergence
        if answer.kind is ToolAnswerKind.UNATTRIBUTED:
            raise UnattributedToolCallError(answer.message)
        if answer.kind is ToolAnswerKind.LIVE:
            raise RemoteToolError(
                f"tool {name} is live in this replay, but this service was not told: pass the "
                f"request's {LIVE_TOOLS_HEADER} header to otel_replay.remote_tools; the tool "
                "was not run"
            )
        raise RemoteToolError(f"tool playback at {self.endpoint}: {answer.message}")

    def _ask(self, request: ToolCallRequest) -> ToolAnswer:
        headers = {"Content-Type": "application/json"}
        propagate.inject(headers)
        url = self.endpoint + TOOLS_CALL_PATH
        http_request = urllib.request.Request(
            url, data=request.to_json(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout) as response:
                return parse_tool_answer(response.status, response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return parse_tool_answer(exc.code, exc.read())
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise RemoteToolError(
                f"tool {request.name}: the replay's tool playback at {url} failed ({exc}); "
                "the tool was not run"
            ) from exc
        except OtelReplayError as exc:
            raise RemoteToolError(f"tool {request.name}: {exc}") from exc


def _header(headers: HeaderLookup | None, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return str(value) if value is not None else None


@contextmanager
def remote_tools(
    headers: HeaderLookup | None = None,
    *,
    endpoint: str | None = None,
    live_tools: Iterable[str] | None = None,
    timeout: float = 30.0,
) -> Iterator[RemoteToolPlayback | None]:
    """In this block (this context: tasks and `copy_context` runs inherit it), answer
    `@otel_replay.tool` calls from the replay that sent the request.

    The replay's endpoint and live tools come from `endpoint`/`live_tools`, else from the
    incoming request's `headers` (`X-Otel-Replay-Otlp-Endpoint`, `X-Otel-Replay-Live-Tools`),
    else from the environment (`OTEL_REPLAY_OTLP_ENDPOINT`, `OTEL_REPLAY_LIVE_TOOLS`). With
    no endpoint the block changes nothing (yields None)."""
    url = endpoint or _header(headers, ENDPOINT_HEADER) or os.environ.get(ENDPOINT_ENV)
    if not url:
        yield None
        return
    if live_tools is not None:
        live = frozenset(live_tools)
    else:
        named = _header(headers, LIVE_TOOLS_HEADER)
        live = parse_live_tools(named if named is not None else os.environ.get(LIVE_TOOLS_ENV))
    playback = RemoteToolPlayback(url, live, timeout)
    with tool_playback(playback):
        yield playback


__all__ = [
    "RemoteToolDivergence",
    "RemoteToolError",
    "RemoteToolPlayback",
    "remote_tools",
]
