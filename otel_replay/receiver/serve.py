"""Run the OTLP receiver: both transports over one Ingestor and one store."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field

import grpc

from otel_replay.calls.signatures import WebhookSecrets
from otel_replay.core.errors import BadInputError
from otel_replay.otlp.decode import DEFAULT_MAX_REQUEST_BYTES
from otel_replay.otlp.redact import Redactor
from otel_replay.receiver.admission import DEFAULT_MAX_INFLIGHT_BYTES
from otel_replay.receiver.errorlog import LOGGER_NAME
from otel_replay.receiver.grpc_server import start_grpc_server
from otel_replay.receiver.http_connections import ConnectionLimits, HttpFallback, OtlpHttpServer
from otel_replay.receiver.http_server import start_http_server, stop_http_server
from otel_replay.receiver.ingest import DEFAULT_MAX_PENDING_ITEMS, Ingestor
from otel_replay.receiver.summary import describe_redactions
from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS
from otel_replay.store import DEFAULT_STORE_URL, SpanStore, open_store
from otel_replay.store.writer_process import WriterProcess, can_write_apart


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_endpoint(text: str, what: str) -> Endpoint | None:
    """Parse HOST:PORT (IPv6 as [HOST]:PORT); `none` turns the endpoint off."""
    if text.strip().lower() in ("none", "off", ""):
        return None
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise BadInputError(f"{what} endpoint {text!r} is not HOST:PORT (or 'none')")
    host = host.strip("[]") or "127.0.0.1"
    return Endpoint(host, int(port_text))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeConfig:
    grpc: Endpoint | None = Endpoint("127.0.0.1", 4317)
    http: Endpoint | None = Endpoint("127.0.0.1", 4318)
    store_url: str = DEFAULT_STORE_URL
    auth_token: str | None = None
    tls_files: tuple[str, str] | None = None  # (certificate chain, private key), PEM files
    session_keys: tuple[str, ...] = field(default=DEFAULT_SESSION_KEYS)
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_pending_items: int = DEFAULT_MAX_PENDING_ITEMS
    max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    # Secrets are redacted by default; Redactor(default_rules=False) turns that off.
    redactor: Redactor = field(default_factory=Redactor)
    # Answers the OTLP/HTTP port's other requests (`serve --ui`); OTLP paths stay as they are.
    http_fallback: HttpFallback | None = None
    # Checks of the Vapi and Retell webhook routes (receiver/webhooks.py).
    webhook_secrets: WebhookSecrets = field(default_factory=WebhookSecrets)
    # Commit from a child process (store/writer_process.py), beside the receiving one:
    # `serve`'s default. Off, the receiver's own writer thread commits.
    writer_process: bool = False

    def check(self) -> None:
        """Refuse settings that would expose an open receiver, or serve nothing."""
        if self.grpc is None and self.http is None:
            raise BadInputError("both --grpc and --http are 'none': nothing to serve")
        for endpoint in (self.grpc, self.http):
            if (
                endpoint
                and not is_loopback(endpoint.host)
                and not (self.auth_token or self.tls_files)
            ):
                raise BadInputError(
                    f"listening on {endpoint} (not loopback) requires --auth-token or TLS"
                )

    def warnings(self) -> list[str]:
        """What is risky but allowed: a bearer token sent in clear text beyond loopback."""
        return [
            f"listening on {endpoint} (not loopback) without TLS: the bearer token and the "
            "telemetry cross the network in clear text (use --tls-cert and --tls-key)"
            for endpoint in (self.grpc, self.http)
            if endpoint
            and not is_loopback(endpoint.host)
            and self.auth_token
            and not self.tls_files
        ]


class Receiver:
    """A running receiver. `stop()` stops accepting, finishes in-flight requests, commits."""

    def __init__(self, config: ServeConfig, store: SpanStore | None = None) -> None:
        config.check()
        self.config = config
        self.store = store if store is not None else open_store(config.store_url)
        self._owns_store = store is None
        for warning in config.warnings():
            logging.getLogger(LOGGER_NAME).warning("%s", warning)
        # The store is opened (and migrated) here first, so its faults surface here too.
        self._writer: WriterProcess | None = None
        if config.writer_process and store is None and can_write_apart(config.store_url):
            try:
                self._writer = WriterProcess(config.store_url)
            except BaseException:
                self.store.close()
                raise
        self.ingestor = Ingestor(
            self._writer if self._writer is not None else self.store,
            config.session_keys,
            config.max_pending_items,
            redactor=config.redactor,
            max_inflight_bytes=config.max_inflight_bytes,
        )
        self.grpc_endpoint: Endpoint | None = None
        self.http_endpoint: Endpoint | None = None
        self._grpc: grpc.Server | None = None
        self._http: OtlpHttpServer | None = None
        try:
            if config.grpc is not None:
                self._grpc, port = start_grpc_server(
                    self.ingestor,
                    config.grpc.host,
                    config.grpc.port,
                    max_request_bytes=config.max_request_bytes,
                    auth_token=config.auth_token,
                    tls_files=config.tls_files,
                    limits=config.limits,
                )
                self.grpc_endpoint = Endpoint(config.grpc.host, port)
            if config.http is not None:
                self._http, port, _ = start_http_server(
                    self.ingestor,
                    config.http.host,
                    config.http.port,
                    max_request_bytes=config.max_request_bytes,
                    auth_token=config.auth_token,
                    tls_files=config.tls_files,
                    limits=config.limits,
                    fallback=config.http_fallback,
                    webhook_secrets=config.webhook_secrets,
                )
                self.http_endpoint = Endpoint(config.http.host, port)
        except BaseException:
            self.stop()
            raise

    def describe(self) -> str:
        """The one line printed when ready."""
        scheme = "https" if self.config.tls_files else "http"
        grpc_text = f"OTLP/gRPC on {self.grpc_endpoint}" if self.grpc_endpoint else "OTLP/gRPC off"
        http_text = (
            f"OTLP/HTTP on {scheme}://{self.http_endpoint}"
            if self.http_endpoint
            else "OTLP/HTTP off"
        )
        return f"otel-replay receiving: {grpc_text}, {http_text}, store {self.store.url}"

    def summary(self) -> str:
        """A one-line account of what was received, for shutdown."""
        c = self.ingestor.counters
        errors = sum(v for k, v in c.items() if k.startswith("errors_"))
        return (
            f"otel-replay stopped: {c['grpc_requests'] + c['http_requests']} requests, "
            f"{c['spans_accepted']} spans and {c['log_records_accepted']} log records stored, "
            f"{c['spans_rejected'] + c['log_records_rejected']} rejected, {errors} failed requests"
            f", {describe_redactions(self.ingestor.redactor)}"
        )

    def stop(self, grace_seconds: float = 10.0) -> None:
        if self._http is not None:
            stop_http_server(self._http, grace_seconds)
            self._http = None
        if self._grpc is not None:
            self._grpc.stop(grace_seconds).wait()
            self._grpc = None
        self.ingestor.close()
        if self._writer is not None:
            self._writer.close()
        if self._owns_store:
            self.store.close()
