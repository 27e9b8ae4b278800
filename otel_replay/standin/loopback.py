"""An HTTP server on 127.0.0.1 that serves from a daemon thread until closed.

The stand-in runs on it; any other loopback double (`otel_replay.testing`'s fake model
server, which sits above this package) can too.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, handler: type[BaseHTTPRequestHandler], owner: object) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.owner = owner


def server_owner(handler: BaseHTTPRequestHandler) -> object:
    """The LoopbackServer a request handler is serving for."""
    server = handler.server
    return server.owner if isinstance(server, _Server) else None


class LoopbackServer:
    """Serves `handler` on 127.0.0.1:`port` (0: any free port) from construction until
    `close()` or the end of a `with` block. Handlers reach it with `server_owner(self)`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int, name: str) -> None:
        self._http = _Server(port, handler, self)
        self.port: int = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._http.shutdown()
            self._thread.join(timeout=10)
        self._http.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
