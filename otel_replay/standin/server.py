"""`StandIn`: the recorded model on 127.0.0.1, over the providers' HTTP APIs.

    with StandIn(scenario, mode=StandInMode.RECORDED) as standin:
        os.environ.update(standin.env())  # or pass standin.env() to a child process
        for index, turn in enumerate(scenario.turns):
            standin.set_turn(index)
            run_agent_turn(...)
            standin.exchanges(index)  # what was asked, and where each answer came from

Each request is normalised (`LlmRequest`), matched against the current turn's recorded
calls (`matchers`), and answered in the API's own shape, streamed when the request asks.
The server speaks HTTP/1.1 with keep-alive, so an SDK client reuses its connection.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler
from typing import Any

from otel_replay.scenario.model import Scenario
from otel_replay.standin.cassette import Cassette, build_cassette
from otel_replay.standin.loopback import LoopbackServer, server_owner
from otel_replay.standin.matchers import DEFAULT_MATCH_ON
from otel_replay.standin.model import (
    Divergence,
    ExchangeSource,
    ProviderApi,
    RecordedExchange,
    StandInExchange,
    StandInMode,
)
from otel_replay.standin.playback import Playback
from otel_replay.standin.providers import PROVIDER_SHAPES, ROUTES_TEXT, api_for_path
from otel_replay.standin.shapes import ERRORS, ErrorKind, ProviderShape, RequestShapeError
from otel_replay.standin.upstream import Upstream, UpstreamUnavailableError

logger = logging.getLogger(__name__)

_MAX_BODY_BYTES = 32 * 1024 * 1024
_LOGGED_FAILURES = 5  # unexpected failures logged in full; later ones are only counted
# What `env()` gives an agent whose environment has no key, so that SDKs construct.
PLACEHOLDER_API_KEY = "otel-replay-standin"
_JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


def _json_reply(status: int, payload: Mapping[str, Any]) -> Reply:
    return Reply(status, _JSON, json.dumps(payload, ensure_ascii=False).encode())


def _error_reply(shape: ProviderShape, kind: ErrorKind, message: str) -> Reply:
    return _json_reply(ERRORS[kind].status, shape.render_error(kind, message))


# Names the turn (0-based) a request belongs to, for agents driven from another process.
TURN_HEADER = "x-otel-replay-turn"


class StandIn(LoopbackServer):
    """A recorded-model stand-in serving `scenario`'s LLM calls on 127.0.0.1 from
    construction until `close()` (or the end of a `with` block).

    `mode`: `recorded` answers a miss with an HTTP 400 in the provider's error shape naming
    the closest recorded call and what differed; `hybrid` forwards a miss to `upstream`
    (default: the real providers, keys from OPENAI_API_KEY / ANTHROPIC_API_KEY as set now).
    `match_on` names the matchers a recorded call must pass (see `matchers`).
    `follow_turns` (agents run by hand, `otel-replay model`): a request matching nothing in
    the current turn may match a later turn, which becomes current. A request carrying the
    header `X-Otel-Replay-Turn: N` (0-based) is matched in turn N, whatever is current.
    """

    def __init__(
        self,
        scenario: Scenario | Cassette,
        *,
        mode: StandInMode | str = StandInMode.RECORDED,
        match_on: Sequence[str] = DEFAULT_MATCH_ON,
        upstream: Upstream | None = None,
        port: int = 0,
        follow_turns: bool = False,
    ) -> None:
        cassette = scenario if isinstance(scenario, Cassette) else build_cassette(scenario)
        self.mode = StandInMode(mode)
        self.playback = Playback(cassette, match_on, follow_turns=follow_turns)
        self.upstream = upstream if upstream is not None else Upstream.from_env()
        self.failures = 0
        self._failure_lock = threading.Lock()
        super().__init__(_Handler, port, "otel-replay-standin")

    def load(self, scenario: Scenario | Cassette) -> None:
        """Serve another scenario's recorded calls from now on (same address, fresh log):
        one stand-in serves a run of scenarios replayed one after the other."""
        cassette = scenario if isinstance(scenario, Cassette) else build_cassette(scenario)
        current = self.playback
        self.playback = Playback(cassette, current.match_on, follow_turns=current.follow_turns)

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`: Anthropic's base URL; OpenAI's adds `/v1`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def turn(self) -> int:
        return self.playback.turn

    def set_turn(self, index: int) -> None:
        """Answer from turn `index` (0-based) from now on, from its first recorded call."""
        self.playback.set_turn(index)

    def exchanges(self, turn: int | None = None) -> list[StandInExchange]:
        """The requests handled so far, in arrival order: all, or those of turn `turn`."""
        return self.playback.exchanges(turn)

    def divergences(self, turn: int | None = None) -> list[Divergence]:
        """The requests that matched no recorded call: all, or those of turn `turn`."""
        return self.playback.divergences(turn)

    def unserved(self, turn: int) -> list[RecordedExchange]:
        """The recorded calls of turn `turn` no request was answered with (since the turn
        was last set): what the replayed agent did not ask."""
        return self.playback.unserved(turn)

    def env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The variables that point an agent's SDKs here: OPENAI_BASE_URL (with `/v1`),
        ANTHROPIC_BASE_URL, and placeholder OPENAI_API_KEY / ANTHROPIC_API_KEY where
        `environ` (the agent's environment; default: this process's) has none."""
        current = os.environ if environ is None else environ
        env = {"OPENAI_BASE_URL": self.openai_base_url, "ANTHROPIC_BASE_URL": self.base_url}
        for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
            if not current.get(name):
                env[name] = PLACEHOLDER_API_KEY
        return env

    def respond(self, api: ProviderApi, raw: bytes, headers: Mapping[str, str]) -> Reply:
        """The reply to one request body sent to `api` (what the HTTP handler sends)."""
        shape = PROVIDER_SHAPES[api]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return _error_reply(shape, ErrorKind.BAD_REQUEST, "the request body is not JSON")
        if not isinstance(body, dict):
            return _error_reply(shape, ErrorKind.BAD_REQUEST, "the request body is not an object")
        try:
            request = shape.normalise_request(body)
        except (RequestShapeError, ValueError) as error:
            return _error_reply(shape, ErrorKind.BAD_REQUEST, str(error))
        stream = body.get("stream") is True
        named_turn = headers.get(TURN_HEADER)
        if named_turn is not None and not named_turn.strip().isdigit():
            message = f"{TURN_HEADER}: {named_turn!r} is not a turn index (0, 1, ...)"
            return _error_reply(shape, ErrorKind.BAD_REQUEST, message)
        turn, found = self.playback.match(
            request, int(named_turn) if named_turn is not None else None
        )
        # Completed below with where the answer came from.
        asked = StandInExchange(turn, api, request, stream, ExchangeSource.UNANSWERED, status=0)
        if isinstance(found, Divergence):
            return self._miss(shape, raw, headers, found, asked)
        serial = f"t{turn}c{found.index}"
        if stream:
            reply = Reply(
                200,
                "text/event-stream",
                shape.render_stream(found.answer, request.model, serial, body),
            )
        else:
            reply = _json_reply(200, shape.render_response(found.answer, request.model, serial))
        self.playback.log(
            replace(
                asked,
                source=ExchangeSource.RECORDED,
                status=200,
                recorded=found,
                answer=found.answer,
            )
        )
        return reply

    def _miss(
        self,
        shape: ProviderShape,
        raw: bytes,
        headers: Mapping[str, str],
        divergence: Divergence,
        asked: StandInExchange,
    ) -> Reply:
        described = divergence.describe()
        if self.mode is StandInMode.RECORDED:
            return self._unanswered(shape, ErrorKind.NO_MATCH, described, divergence, asked)
        key = self.upstream.api_key(shape.api)
        if key is None:
            message = (
                f"{described}; hybrid mode would ask the provider, "
                f"but {self.upstream.key_variable(shape.api)} is not set"
            )
            return self._unanswered(shape, ErrorKind.NO_API_KEY, message, divergence, asked)
        try:
            live = self.upstream.forward(shape.api, shape.upstream_path, raw, headers, key)
        except UpstreamUnavailableError as error:
            message = f"{described}; hybrid mode asked the provider: {error}"
            return self._unanswered(
                shape, ErrorKind.UPSTREAM_UNAVAILABLE, message, divergence, asked
            )
        answer = None
        if live.status == 200:
            try:
                if asked.stream:
                    answer = shape.read_stream(live.body)
                else:
                    answer = shape.read_response(json.loads(live.body))
            except (ValueError, TypeError, AttributeError, KeyError):
                answer = None  # relayed as it came; only the log lacks the answer
        self.playback.log(
            replace(
                asked,
                source=ExchangeSource.LIVE,
                status=live.status,
                answer=answer,
                divergence=divergence,
            )
        )
        return Reply(live.status, live.content_type, live.body)

    def _unanswered(
        self,
        shape: ProviderShape,
        kind: ErrorKind,
        message: str,
        divergence: Divergence,
        asked: StandInExchange,
    ) -> Reply:
        reply = _error_reply(shape, kind, message)
        self.playback.log(
            replace(
                asked,
                source=ExchangeSource.UNANSWERED,
                status=reply.status,
                divergence=divergence,
                error=message,
            )
        )
        return reply

    def count_failure(self) -> bool:
        """Count an unexpected failure; True while it should still be logged in full."""
        with self._failure_lock:
            self.failures += 1
            return self.failures <= _LOGGED_FAILURES


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every reply has a Content-Length
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the stand-in keeps an exchange log instead

    def do_POST(self) -> None:
        standin = server_owner(self)
        assert isinstance(standin, StandIn)
        api = api_for_path(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        # Errors before a route is known take the shape of the SDK that sent the request.
        fallback = "anthropic-version" in headers and ProviderApi.ANTHROPIC_MESSAGES
        shape = PROVIDER_SHAPES[api or fallback or ProviderApi.OPENAI_CHAT]
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY_BYTES:
            self._send(_error_reply(shape, ErrorKind.BAD_REQUEST, "request body too large"))
            self.close_connection = True
            return
        raw = self.rfile.read(length)
        if api is None:
            message = f"no route {self.path}: {ROUTES_TEXT}"
            self._send(_error_reply(shape, ErrorKind.NOT_FOUND, message))
            return
        try:
            reply = standin.respond(api, raw, headers)
        except Exception:
            if standin.count_failure():
                logger.exception("the stand-in failed to answer %s", self.path)
            message = "the stand-in failed to answer; its log says why"
            reply = _error_reply(shape, ErrorKind.INTERNAL, message)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.content_type.startswith("text/event-stream"):
            self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(reply.body)
