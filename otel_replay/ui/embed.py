"""The UI inside `serve --ui`: the OTLP/HTTP server hands every request that is not an OTLP
export to this bridge, which runs the ASGI application on an event loop of its own."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

from otel_replay.app.baselines import DEFAULT_CASES_FOLDER
from otel_replay.receiver.serve import Endpoint
from otel_replay.store import open_store
from otel_replay.ui.app import UiSettings, create_app
from otel_replay.ui.server import FactsIndexer, access_for, browser_url

_ANSWER_SECONDS = 120.0
_log = logging.getLogger(__name__)


class AsgiBridge:
    """Calls an ASGI application from the receiver's (thread-per-connection) HTTP server:
    (method, target, headers, body) -> (status, headers, body). Responses are buffered, so
    pages poll rather than stream."""

    def __init__(self, app: ASGIApp, scheme: str, server: tuple[str, int]) -> None:
        self.app = app
        self.scheme = scheme
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="otel-replay-ui-loop", daemon=True
        )
        self._thread.start()

    def __call__(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        future = asyncio.run_coroutine_threadsafe(
            self._handle(method, target, headers, body), self._loop
        )
        return future.result(_ANSWER_SECONDS)

    async def _handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        path, _, query = target.partition("?")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": self.scheme,
            "path": unquote(path),
            "raw_path": path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            "client": None,
            "server": self.server,
        }
        answered = asyncio.Event()
        sent_body = False
        status = 500
        response_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_headers.extend(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                )
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    answered.set()

        try:
            await self.app(scope, receive, send)
        except Exception:
            # Starlette answered 500 before raising; the receiver's thread must not see it.
            _log.exception("UI request %s %s failed", method, path)
            if not chunks:
                return 500, [("content-type", "text/plain")], b"internal error (logged)"
        finally:
            answered.set()
        return status, response_headers, b"".join(chunks)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        if not self._thread.is_alive():
            self._loop.close()


class EmbeddedUi:
    """The UI's store, application and bridge for `serve --ui`; `close()` after the receiver
    stopped."""

    def __init__(
        self,
        store_url: str,
        endpoint: Endpoint,
        token: str | None,
        tls: bool,
        cases_dir: Path | None = None,
    ) -> None:
        self.store = open_store(store_url)
        access = access_for(endpoint.host, token)
        cases = cases_dir or Path(DEFAULT_CASES_FOLDER)
        settings = UiSettings(self.store, cases_dir=cases, access=access)
        self.scheme = "https" if tls else "http"
        self.bridge = AsgiBridge(create_app(settings), self.scheme, (endpoint.host, endpoint.port))
        self.token = token
        self.indexer = FactsIndexer(store_url)

    def url(self, endpoint: Endpoint) -> str:
        return browser_url(self.scheme, endpoint, self.token)

    def close(self) -> None:
        self.indexer.stop()
        self.bridge.close()
        self.store.close()
