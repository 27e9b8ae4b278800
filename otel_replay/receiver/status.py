"""The one table from error kind to gRPC status and HTTP status (OTLP specification rules)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import grpc

from otel_replay.core.errors import (
    BadInputError,
    OverloadedError,
    PayloadTooLargeError,
    StoreUnavailableError,
    UnsupportedMediaTypeError,
)


class ErrorKind(StrEnum):
    BAD_INPUT = "bad_input"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNAUTHENTICATED = "unauthenticated"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    OVERLOADED = "overloaded"
    STORE_UNAVAILABLE = "store_unavailable"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Answer:
    grpc_code: grpc.StatusCode
    http_status: int
    retry_after_seconds: int | None  # set only for retryable answers


# OTLP: retryable are gRPC UNAVAILABLE (with RetryInfo) and HTTP 429/502/503/504; everything
# else tells the sender to drop the data. Undecodable input is never INTERNAL/500.
# As the Collector's otlpreceiver does, only a cause that goes away (overload, a store that is
# down) is retryable; an unknown error would fail the same way on every retry, so it is
# permanent: INVALID_ARGUMENT/400, and the receiver logs it (receiver/errorlog.py).
ANSWERS: dict[ErrorKind, Answer] = {
    ErrorKind.BAD_INPUT: Answer(grpc.StatusCode.INVALID_ARGUMENT, 400, None),
    ErrorKind.TOO_LARGE: Answer(grpc.StatusCode.RESOURCE_EXHAUSTED, 413, None),
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: Answer(grpc.StatusCode.INVALID_ARGUMENT, 415, None),
    ErrorKind.UNAUTHENTICATED: Answer(grpc.StatusCode.UNAUTHENTICATED, 401, None),
    ErrorKind.NOT_FOUND: Answer(grpc.StatusCode.UNIMPLEMENTED, 404, None),
    ErrorKind.METHOD_NOT_ALLOWED: Answer(grpc.StatusCode.UNIMPLEMENTED, 405, None),
    ErrorKind.OVERLOADED: Answer(grpc.StatusCode.UNAVAILABLE, 503, 1),
    ErrorKind.STORE_UNAVAILABLE: Answer(grpc.StatusCode.UNAVAILABLE, 503, 1),
    ErrorKind.INTERNAL: Answer(grpc.StatusCode.INVALID_ARGUMENT, 400, None),
}


def classify_error(exc: BaseException) -> ErrorKind:
    """The kind of an exception raised while handling an export request."""
    if isinstance(exc, PayloadTooLargeError):
        return ErrorKind.TOO_LARGE
    if isinstance(exc, UnsupportedMediaTypeError):
        return ErrorKind.UNSUPPORTED_MEDIA_TYPE
    if isinstance(exc, BadInputError):
        return ErrorKind.BAD_INPUT
    if isinstance(exc, OverloadedError):
        return ErrorKind.OVERLOADED
    if isinstance(exc, StoreUnavailableError):
        return ErrorKind.STORE_UNAVAILABLE
    return ErrorKind.INTERNAL
