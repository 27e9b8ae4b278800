"""OTLP/gRPC: TraceService, LogsService and MetricsService Export, ending in the shared
Ingestor (metrics are accepted and discarded).

Methods are registered with raw-bytes (de)serializers so that undecodable bodies reach our
decoder and get INVALID_ARGUMENT, rather than grpcio's INTERNAL. A call is admitted against
the bytes-in-flight budget before its message is decoded: a refusal costs almost nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2

from otel_replay.core.errors import BadInputError, OverloadedError
from otel_replay.otlp.decode import Encoding
from otel_replay.receiver.http_connections import ConnectionLimits
from otel_replay.receiver.ingest import ExportResult, Ingestor
from otel_replay.receiver.responses import Signal, build_export_response
from otel_replay.receiver.status import ANSWERS, ErrorKind

TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService"
METRICS_SERVICE = "opentelemetry.proto.collector.metrics.v1.MetricsService"
_INTERNAL_MESSAGE = "internal error: the request was dropped (the receiver logged why)"


def _abort(context: grpc.ServicerContext, kind: ErrorKind, message: str) -> None:
    answer = ANSWERS[kind]
    if answer.retry_after_seconds is not None:
        retry_info = error_details_pb2.RetryInfo(
            retry_delay=duration_pb2.Duration(seconds=answer.retry_after_seconds)
        )
        status = status_pb2.Status(code=answer.grpc_code.value[0], message=message)
        status.details.add().Pack(retry_info)
        # The Python exporter reads the delay from retryinfo-bin, the Collector from
        # grpc-status-details-bin: send both.
        context.set_trailing_metadata(
            (
                ("google.rpc.retryinfo-bin", retry_info.SerializeToString()),
                ("grpc-status-details-bin", status.SerializeToString()),
            )
        )
    context.abort(answer.grpc_code, message)


def _handler(
    ingestor: Ingestor,
    signal: Signal,
    consume: Callable[[bytes, Encoding], ExportResult],
) -> Callable[[Iterator[bytes], grpc.ServicerContext], bytes]:
    # Registered as stream-unary (a unary call is a stream of one message on the wire): the
    # handler runs before the message is read, so a busy receiver refuses without reading it.
    def handle(messages: Iterator[bytes], context: grpc.ServicerContext) -> bytes:
        ingestor.count("grpc_requests")
        try:
            try:
                ingestor.budget.refuse_if_half_taken()
            except OverloadedError:
                ingestor.count("grpc_requests_refused_unread")
                raise
            try:
                body = next(messages, None)
            except grpc.RpcError:
                # grpcio has already ended the call (a message over the size limit, or one
                # it could not decompress, or a client gone) and sent its status.
                ingestor.count("grpc_requests_unreadable")
                return b""
            if body is None:
                raise BadInputError("the call carried no request message")
            with ingestor.budget.admit(len(body)):
                result = consume(body, Encoding.PROTOBUF)
        except Exception as exc:
            kind = ingestor.fail(exc, f"OTLP/gRPC {signal} export")
            _abort(context, kind, str(exc) if kind is not ErrorKind.INTERNAL else _INTERNAL_MESSAGE)
            raise  # unreachable: abort raises
        return build_export_response(signal, result).SerializeToString()

    return handle


if TYPE_CHECKING:
    _ServerInterceptor = grpc.ServerInterceptor[Any, Any]
else:  # grpc's runtime class is not generic; only its stubs are
    _ServerInterceptor = grpc.ServerInterceptor


class _BearerTokenInterceptor(_ServerInterceptor):
    def __init__(self, token: str, ingestor: Ingestor) -> None:
        self._expected = f"Bearer {token}".encode()

        def deny(_request: Any, context: grpc.ServicerContext) -> None:
            ingestor.count("grpc_requests")
            ingestor.count(f"errors_{ErrorKind.UNAUTHENTICATED}")
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token")

        self._deny = grpc.unary_unary_rpc_method_handler(deny)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        metadata = dict(handler_call_details.invocation_metadata or ())
        given = metadata.get("authorization", "")
        given_bytes = given.encode() if isinstance(given, str) else bytes(given)
        if hmac.compare_digest(given_bytes, self._expected):
            return continuation(handler_call_details)
        return self._deny


def start_grpc_server(
    ingestor: Ingestor,
    host: str,
    port: int,
    *,
    max_request_bytes: int,
    auth_token: str | None = None,
    tls_files: tuple[str, str] | None = None,
    limits: ConnectionLimits | None = None,
    workers: int = 16,
) -> tuple[grpc.Server, int]:
    """Start the gRPC server; returns it and the bound port (useful with port 0)."""
    limits = limits or ConnectionLimits()
    services = {
        TRACE_SERVICE: (Signal.TRACES, ingestor.consume_traces),
        LOGS_SERVICE: (Signal.LOGS, ingestor.consume_logs),
        METRICS_SERVICE: (Signal.METRICS, ingestor.consume_metrics),
    }
    handlers = [
        grpc.method_handlers_generic_handler(
            service,
            {"Export": grpc.stream_unary_rpc_method_handler(_handler(ingestor, signal, consume))},
        )
        for service, (signal, consume) in services.items()
    ]
    # No maximum_concurrent_rpcs: grpcio answers calls over it RESOURCE_EXHAUSTED without
    # RetryInfo, which a Collector drops as permanent. Waiting calls have not read their
    # message yet (a worker does): at most `workers` messages are in memory before admission,
    # and overload is answered by the bytes-in-flight budget (before decoding) and the
    # Ingestor's pending cap, with UNAVAILABLE and RetryInfo.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otel-replay-grpc"),
        handlers=handlers,
        interceptors=[_BearerTokenInterceptor(auth_token, ingestor)] if auth_token else [],
        options=[
            ("grpc.max_receive_message_length", max_request_bytes),
            ("grpc.so_reuseport", 0),
            ("grpc.max_allowed_incoming_connections", limits.max_connections),
            ("grpc.max_connection_idle_ms", int(limits.idle_seconds * 1000)),
        ],
    )
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if tls_files is not None:
        with open(tls_files[0], "rb") as cert, open(tls_files[1], "rb") as key:
            credentials = grpc.ssl_server_credentials([(key.read(), cert.read())])
        bound = server.add_secure_port(address, credentials)
    else:
        bound = server.add_insecure_port(address)
    if bound == 0:
        raise BadInputError(f"cannot listen for OTLP/gRPC on {host}:{port} (address in use?)")
    server.start()
    return server, bound


__all__ = ["LOGS_SERVICE", "METRICS_SERVICE", "TRACE_SERVICE", "start_grpc_server"]
