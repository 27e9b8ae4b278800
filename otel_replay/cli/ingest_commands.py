"""Commands that put telemetry into the store: `serve` and `import`."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from otel_replay.cli.options import open_cli_store, store_option
from otel_replay.core.errors import BadInputError
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS, parse_key_list

_SESSION_KEYS_HELP = (
    "Comma-separated session attribute keys, in priority order (env OTEL_REPLAY_SESSION_KEYS)."
)


@click.command()
@click.option(
    "--grpc",
    "grpc_endpoint",
    envvar="OTEL_REPLAY_GRPC",
    default="127.0.0.1:4317",
    show_default=True,
    help="OTLP/gRPC HOST:PORT, or 'none' (env OTEL_REPLAY_GRPC).",
)
@click.option(
    "--http",
    "http_endpoint",
    envvar="OTEL_REPLAY_HTTP",
    default="127.0.0.1:4318",
    show_default=True,
    help="OTLP/HTTP HOST:PORT, or 'none' (env OTEL_REPLAY_HTTP).",
)
@store_option
@click.option(
    "--auth-token",
    envvar="OTEL_REPLAY_AUTH_TOKEN",
    default=None,
    help="Require 'Authorization: Bearer TOKEN' (env OTEL_REPLAY_AUTH_TOKEN).",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM certificate chain: serve both transports over TLS.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM private key for --tls-cert.",
)
@click.option(
    "--session-keys",
    envvar="OTEL_REPLAY_SESSION_KEYS",
    default=",".join(DEFAULT_SESSION_KEYS),
    help=_SESSION_KEYS_HELP,
)
@click.option(
    "--max-request-mib",
    type=click.IntRange(1, 1024),
    default=64,
    show_default=True,
    help="Largest request accepted, after decompression.",
)
def serve(
    grpc_endpoint: str,
    http_endpoint: str,
    store_url: str,
    auth_token: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    session_keys: str,
    max_request_mib: int,
) -> None:
    """Receive OTLP traces and logs (gRPC and HTTP) into the store."""
    # The receiver (gRPC, HTTP servers) and the importer load only for the command that runs.
    from otel_replay.receiver.serve import Receiver, ServeConfig, parse_endpoint

    if (tls_cert is None) != (tls_key is None):
        raise BadInputError("--tls-cert and --tls-key go together")
    config = ServeConfig(
        grpc=parse_endpoint(grpc_endpoint, "--grpc"),
        http=parse_endpoint(http_endpoint, "--http"),
        store_url=store_url,
        auth_token=auth_token or None,
        tls_files=(tls_cert, tls_key) if tls_cert and tls_key else None,
        session_keys=parse_key_list(session_keys),
        max_request_bytes=max_request_mib * 1024 * 1024,
    )
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    receiver = Receiver(config)
    click.echo(receiver.describe(), err=False)
    sys.stdout.flush()
    while not stopping.wait(0.5):
        pass
    receiver.stop()
    click.echo(receiver.summary())


@click.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@store_option
@click.option(
    "--session-keys",
    envvar="OTEL_REPLAY_SESSION_KEYS",
    default=",".join(DEFAULT_SESSION_KEYS),
    help=_SESSION_KEYS_HELP,
)
def import_command(files: tuple[str, ...], store_url: str, session_keys: str) -> None:
    """Import OTLP trace or log requests: JSON, JSON lines, or protobuf files ('-' for stdin)."""
    from otel_replay.importer import import_data

    sources = []
    for name in files:
        if name == "-":
            sources.append(("<stdin>", sys.stdin.buffer.read()))
            continue
        path = Path(name)
        if not path.is_file():
            raise BadInputError(f"{name}: no such file")
        sources.append((name, path.read_bytes()))
    keys = parse_key_list(session_keys)
    store = open_cli_store(store_url)
    try:
        result = import_data(store, sources, keys)
    finally:
        store.close()
    click.echo(
        f"imported {result.spans} spans and {result.log_records} log records "
        f"from {len(files)} file(s) ({result.rejected} rejected)"
    )


COMMANDS = [serve, import_command]
