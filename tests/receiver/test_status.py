"""The one table from error kind to gRPC code and HTTP status, checked as a table."""

from __future__ import annotations

import grpc
import pytest

from otel_replay.core.errors import (
    BadInputError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
    StoreUnavailableError,
    UnsupportedMediaTypeError,
)
from otel_replay.receiver.status import ANSWERS, Answer, ErrorKind, classify_error

EXPECTED = {
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

# OTLP specification: what a client may retry.
RETRYABLE_GRPC = {
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DATA_LOSS,
}  # RESOURCE_EXHAUSTED only with RetryInfo, which the table never attaches to it
RETRYABLE_HTTP = {429, 502, 503, 504}


@pytest.mark.parametrize("kind", list(ErrorKind), ids=str)
def test_answer_of_each_error_kind(kind: ErrorKind) -> None:
    assert ANSWERS[kind] == EXPECTED[kind]


def test_table_covers_every_kind_and_nothing_else() -> None:
    assert set(ANSWERS) == set(ErrorKind)


@pytest.mark.parametrize("kind", list(ErrorKind), ids=str)
def test_an_answer_is_retryable_on_both_transports_or_on_neither(kind: ErrorKind) -> None:
    answer = ANSWERS[kind]
    retryable = answer.retry_after_seconds is not None
    assert (answer.grpc_code in RETRYABLE_GRPC) is retryable
    assert (answer.http_status in RETRYABLE_HTTP) is retryable
    if retryable:
        assert answer.retry_after_seconds is not None
        assert 0 < answer.retry_after_seconds <= 2  # the spec's ceiling for RetryInfo


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (PayloadTooLargeError("big"), ErrorKind.TOO_LARGE),
        (UnsupportedMediaTypeError("text/plain"), ErrorKind.UNSUPPORTED_MEDIA_TYPE),
        (BadInputError("bad"), ErrorKind.BAD_INPUT),
        (OverloadedError("busy"), ErrorKind.OVERLOADED),
        (StoreUnavailableError("down"), ErrorKind.STORE_UNAVAILABLE),
        (NotFoundError("which?"), ErrorKind.INTERNAL),
        (ValueError("a bug"), ErrorKind.INTERNAL),
        (RuntimeError("a bug"), ErrorKind.INTERNAL),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_classify_error(error: Exception, kind: ErrorKind) -> None:
    assert classify_error(error) is kind
