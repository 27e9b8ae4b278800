"""`otel-replay ui`: the local web UI over a store (see also `serve --ui`)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from otel_replay.cli.ingest_commands import read_auth_token
from otel_replay.cli.options import store_option
from otel_replay.core.errors import BadInputError
from otel_replay.ui import require_ui_extra

DEFAULT_UI_LISTEN = "127.0.0.1:8321"


@click.command(name="ui")
@click.option(
    "--listen",
    envvar="OTEL_REPLAY_UI",
    default=DEFAULT_UI_LISTEN,
    show_default=True,
    help="HOST:PORT to serve the UI on (env OTEL_REPLAY_UI); beyond loopback it needs "
    "--auth-token or TLS, as `serve` does.",
)
@store_option
@click.option(
    "--cases",
    "cases_dir",
    type=click.Path(file_okay=False),
    default="otel-replay-cases",
    show_default=True,
    help="Where regression cases live (approving a run updates its case there).",
)
@click.option(
    "--auth-token",
    envvar="OTEL_REPLAY_AUTH_TOKEN",
    default=None,
    help="Require this token (env OTEL_REPLAY_AUTH_TOKEN): the printed address carries it "
    "once, then a cookie does; scripts send 'Authorization: Bearer TOKEN'.",
)
@click.option(
    "--auth-token-file",
    envvar="OTEL_REPLAY_AUTH_TOKEN_FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Read the token from this file (env OTEL_REPLAY_AUTH_TOKEN_FILE).",
)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), default=None)
@click.pass_context
def ui_command(
    ctx: click.Context,
    listen: str,
    store_url: str,
    cases_dir: str,
    auth_token: str | None,
    auth_token_file: str | None,
    tls_cert: str | None,
    tls_key: str | None,
) -> None:
    """Browse sessions, runs and diffs in a local web UI; approve, delete, prune, export.

    Serves on 127.0.0.1 by default; another address needs a token or TLS, as `serve` does.
    `serve --ui` serves the same pages on the OTLP/HTTP port."""
    require_ui_extra()
    from otel_replay.receiver.serve import parse_endpoint
    from otel_replay.store import open_store
    from otel_replay.ui.app import UiSettings
    from otel_replay.ui.server import FactsIndexer, UiListen, UiServer, access_for

    if (tls_cert is None) != (tls_key is None):
        raise BadInputError("--tls-cert and --tls-key go together")
    endpoint = parse_endpoint(listen, "--listen")
    if endpoint is None:
        raise BadInputError("--listen 'none' leaves nothing to serve")
    from_command_line = (
        ctx.get_parameter_source("auth_token") is click.core.ParameterSource.COMMANDLINE
    )
    token = read_auth_token(auth_token, auth_token_file, from_command_line)
    listen_on = UiListen(endpoint, (tls_cert, tls_key) if tls_cert and tls_key else None)
    listen_on.check(token)
    access = access_for(endpoint.host, token)
    store = open_store(store_url)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    indexer = FactsIndexer(store_url)
    try:
        server = UiServer(UiSettings(store, Path(cases_dir), access), listen_on)
        click.echo(f"otel-replay UI on {server.url} (store {store.url})")
        sys.stdout.flush()
        while not stopping.wait(0.5):
            pass
        server.stop()
    finally:
        indexer.stop()
        store.close()


COMMANDS = [ui_command]
