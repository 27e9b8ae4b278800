"""Commands that put telemetry into the store: `serve` and `import`."""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from otel_replay.cli.options import open_cli_store, store_option
from otel_replay.core.errors import BadInputError
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS, parse_key_list

if TYPE_CHECKING:
    from otel_replay.otlp.redact import Redactor
    from otel_replay.receiver.serve import ServeConfig
    from otel_replay.ui.embed import EmbeddedUi

_SESSION_KEYS_HELP = (
    "Comma-separated session attribute keys, in priority order (env OTEL_REPLAY_SESSION_KEYS)."
)
_REDACT_HELP = (
    "Redaction rule, repeatable: 'off' (no default rules), 'key:REGEX' (blank attributes whose "
    "key matches) or 'value:KIND=REGEX' (replace matches in values). Secrets (Authorization, "
    "API keys, bearer tokens, JWTs, cloud keys) are redacted by default, before anything is "
    "stored."
)


def redact_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--redact", "redact_rules", multiple=True, metavar="RULE", help=_REDACT_HELP
    )(func)


def _redactor(rules: tuple[str, ...]) -> Redactor:
    from otel_replay.otlp.redact import parse_redaction_rules

    return parse_redaction_rules(rules)


def read_auth_token(
    token: str | None, token_file: str | None, from_command_line: bool
) -> str | None:
    """The bearer token from --auth-token, OTEL_REPLAY_AUTH_TOKEN or --auth-token-file (one of
    them); a token typed on the command line is visible to every user (ps), so warn."""
    if token and token_file:
        raise BadInputError("give --auth-token or --auth-token-file, not both")
    if token_file:
        try:
            text = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise BadInputError(f"cannot read --auth-token-file {token_file}: {exc}") from None
        if not text or "\n" in text:
            raise BadInputError(f"--auth-token-file {token_file} must hold one non-empty line")
        return text
    if token and from_command_line:
        logging.getLogger("otel_replay.receiver").warning(
            "--auth-token on the command line is visible to other users of this machine: "
            "prefer --auth-token-file or OTEL_REPLAY_AUTH_TOKEN"
        )
    return token or None


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
    help="Require 'Authorization: Bearer TOKEN' (env OTEL_REPLAY_AUTH_TOKEN; the environment "
    "or --auth-token-file keep it out of the process list).",
)
@click.option(
    "--auth-token-file",
    envvar="OTEL_REPLAY_AUTH_TOKEN_FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Read the bearer token from this file (env OTEL_REPLAY_AUTH_TOKEN_FILE).",
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
@click.option(
    "--max-inflight-mib",
    type=click.IntRange(1, 65536),
    default=48,  # receiver/admission.py DEFAULT_MAX_INFLIGHT_BYTES
    show_default=True,
    help="Request bytes being read, decoded or committed at once (both transports); past it "
    "senders are told to retry (HTTP 503, gRPC UNAVAILABLE), before their body is read.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 100_000),
    default=64,
    show_default=True,
    help="Connections served at once, on each transport (more OTLP/HTTP ones wait to be "
    "accepted; gRPC closes them and clients retry).",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds an OTLP/HTTP client has to send a whole request (and to finish the TLS "
    "handshake).",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a kept-alive OTLP/HTTP connection may wait for its next request, and an "
    "OTLP/gRPC connection may stay without a call.",
)
@redact_option
@click.option(
    "--vapi-secret",
    envvar="OTEL_REPLAY_VAPI_SECRET",
    default=None,
    help="Check POST /v1/webhooks/vapi with this secret: the x-vapi-signature HMAC of the "
    "body, a bearer token or x-vapi-secret (env OTEL_REPLAY_VAPI_SECRET).",
)
@click.option(
    "--retell-api-key",
    envvar="RETELL_API_KEY",
    default=None,
    help="Check POST /v1/webhooks/retell's x-retell-signature with this API key (the one "
    "with the webhook badge; env RETELL_API_KEY).",
)
@click.option(
    "--writer",
    type=click.Choice(["process", "thread"]),
    default="process",
    show_default=True,
    help="Commit from a process of its own, beside the one receiving (uses a second core), "
    "or from a thread of the receiving process.",
)
@click.option(
    "--ui",
    "with_ui",
    is_flag=True,
    help="Serve the web UI on the OTLP/HTTP port too (needs the 'ui' extra; same token and "
    "TLS; see `otel-replay ui`).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    grpc_endpoint: str,
    http_endpoint: str,
    store_url: str,
    auth_token: str | None,
    auth_token_file: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    session_keys: str,
    max_request_mib: int,
    max_inflight_mib: int,
    max_connections: int,
    read_timeout: float,
    idle_timeout: float,
    redact_rules: tuple[str, ...],
    vapi_secret: str | None = None,
    retell_api_key: str | None = None,
    writer: str = "process",
    with_ui: bool = False,
) -> None:
    """Receive OTLP traces and logs (gRPC and HTTP) into the store.

    Metrics are accepted and discarded. Secrets are redacted before anything is written (see
    --redact)."""
    # The receiver (gRPC, HTTP servers) and the importer load only for the command that runs.
    from otel_replay.calls.signatures import WebhookSecrets
    from otel_replay.receiver.http_connections import ConnectionLimits
    from otel_replay.receiver.serve import Receiver, ServeConfig, parse_endpoint

    # Warnings and unknown errors of the receiver go to stderr; stdout keeps its two lines.
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if (tls_cert is None) != (tls_key is None):
        raise BadInputError("--tls-cert and --tls-key go together")
    from_command_line = (
        ctx.get_parameter_source("auth_token") is click.core.ParameterSource.COMMANDLINE
    )
    config = ServeConfig(
        grpc=parse_endpoint(grpc_endpoint, "--grpc"),
        http=parse_endpoint(http_endpoint, "--http"),
        store_url=store_url,
        auth_token=read_auth_token(auth_token, auth_token_file, from_command_line),
        tls_files=(tls_cert, tls_key) if tls_cert and tls_key else None,
        session_keys=parse_key_list(session_keys),
        max_request_bytes=max_request_mib * 1024 * 1024,
        max_inflight_bytes=max_inflight_mib * 1024 * 1024,
        limits=ConnectionLimits(
            read_seconds=read_timeout, idle_seconds=idle_timeout, max_connections=max_connections
        ),
        redactor=_redactor(redact_rules),
        webhook_secrets=WebhookSecrets(vapi_secret or None, retell_api_key or None),
        writer_process=writer == "process",
    )
    embedded = _embedded_ui(config) if with_ui else None
    if embedded is not None:
        config = dataclasses.replace(config, http_fallback=embedded.bridge)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        receiver = Receiver(config)
        click.echo(receiver.describe(), err=False)
        if embedded is not None and receiver.http_endpoint is not None:
            click.echo(f"otel-replay UI on {embedded.url(receiver.http_endpoint)}")
        sys.stdout.flush()
        while not stopping.wait(0.5):
            pass
        receiver.stop()
    finally:
        if embedded is not None:
            embedded.close()
    click.echo(receiver.summary())


def _embedded_ui(config: ServeConfig) -> EmbeddedUi:
    """The web UI for `serve --ui`, answering the OTLP/HTTP port's non-OTLP requests."""
    from otel_replay.ui import require_ui_extra

    if config.http is None:
        raise BadInputError("--ui is served on the OTLP/HTTP port: give --http HOST:PORT")
    require_ui_extra()
    from otel_replay.ui.embed import EmbeddedUi

    return EmbeddedUi(config.store_url, config.http, config.auth_token, bool(config.tls_files))


@click.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@store_option
@click.option(
    "--session-keys",
    envvar="OTEL_REPLAY_SESSION_KEYS",
    default=",".join(DEFAULT_SESSION_KEYS),
    help=_SESSION_KEYS_HELP,
)
@redact_option
def import_command(
    files: tuple[str, ...], store_url: str, session_keys: str, redact_rules: tuple[str, ...]
) -> None:
    """Import OTLP trace or log requests: JSON, JSON lines, or protobuf files ('-' for stdin).
    Vapi and Retell call files (API objects or webhook bodies) become voice calls. Secrets
    are redacted before anything is written (see --redact)."""
    from otel_replay.importer import import_data

    redactor = _redactor(redact_rules)
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
        result = import_data(store, sources, keys, redactor)
    finally:
        store.close()
    from otel_replay.receiver.summary import describe_redactions

    calls = f", {result.calls} voice call(s)" if result.calls else ""
    click.echo(
        f"imported {result.spans} spans and {result.log_records} log records "
        f"from {len(files)} file(s) ({result.rejected} rejected, "
        f"{describe_redactions(redactor)}{calls})"
    )


COMMANDS = [serve, import_command]
