"""Serving the UI on its own port (`otel-replay ui`): uvicorn in a thread, started and
stopped like the receiver, with the same rules for addresses beyond loopback."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import uvicorn

from otel_replay.app.browse import FactsGate
from otel_replay.core.errors import BadInputError
from otel_replay.receiver.serve import Endpoint, is_loopback
from otel_replay.store import open_store
from otel_replay.ui.app import UiSettings, create_app
from otel_replay.ui.security import Access

_START_SECONDS = 30.0
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UiListen:
    """Where the UI listens, and how it is protected beyond loopback."""

    endpoint: Endpoint
    tls_files: tuple[str, str] | None = None

    def check(self, token: str | None) -> None:
        """The receiver's rule: beyond loopback, a token or TLS."""
        if not is_loopback(self.endpoint.host) and not (token or self.tls_files):
            raise BadInputError(
                f"listening on {self.endpoint} (not loopback) requires --auth-token or TLS"
            )


def access_for(host: str, token: str | None) -> Access:
    """A token when given; without one, only loopback Host names are answered."""
    return Access(token=token, loopback_only=is_loopback(host) and not token)


def browser_url(scheme: str, endpoint: Endpoint, token: str | None) -> str:
    """The address to open: with the token once (it becomes a cookie)."""
    host = "127.0.0.1" if endpoint.host in ("0.0.0.0", "") else endpoint.host
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{endpoint.port}/sessions" + (f"?token={token}" if token else "")


class FactsIndexer:
    """Keeps the session list's search facts up to date in a thread, on a store connection of
    its own (a request then only brings the latest few traces up to date). It scans for stale
    traces only after the store has changed (`FactsGate`), and checks for changes less often
    while nothing changes: every `pause_seconds` at first, doubling up to `max_pause_seconds`.
    """

    def __init__(
        self, store_url: str, pause_seconds: float = 1.0, max_pause_seconds: float = 4.0
    ) -> None:
        self._store = open_store(store_url)
        self.gate = FactsGate(self._store)
        self._pause = pause_seconds
        self._max_pause = max(pause_seconds, max_pause_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="otel-replay-ui-facts", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pause = self._pause
        while not self._stop.is_set():
            scans = self.gate.scans
            try:
                done = self.gate.step()
            except Exception as exc:  # a store that went away: try again after the pause
                _log.warning("computing search facts failed: %s", exc)
                done = 0
            if done:
                pause = self._pause
                continue
            # Idle (the store had not changed): back off; a change brings the pause back.
            pause = self._pause if self.gate.scans != scans else min(pause * 2, self._max_pause)
            self._stop.wait(pause)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30.0)
        self._store.close()


class UiServer:
    """A running UI server; `stop()` ends it."""

    def __init__(self, settings: UiSettings, listen: UiListen) -> None:
        listen.check(settings.access.token)
        self.settings = settings
        certfile, keyfile = listen.tls_files or (None, None)
        self.scheme = "https" if listen.tls_files else "http"
        config = uvicorn.Config(
            create_app(settings),
            host=listen.endpoint.host,
            port=listen.endpoint.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        self._server = uvicorn.Server(config)
        # Run in a thread, uvicorn leaves the signals to the main thread (the CLI waits for
        # them, as `serve` does).
        self._thread = threading.Thread(target=self._server.run, name="otel-replay-ui", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise BadInputError(f"cannot listen for the UI on {listen.endpoint}")
            time.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.endpoint = Endpoint(listen.endpoint.host, int(port))

    @property
    def url(self) -> str:
        return browser_url(self.scheme, self.endpoint, self.settings.access.token)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10.0)
