"""Error kinds shared by the library. Each carries a message meant for the user."""

from __future__ import annotations


class OtelReplayError(Exception):
    """Base class: something the user can act on, described in one line."""


class BadInputError(OtelReplayError):
    """Input that cannot be decoded or is not what the command expects."""


class PayloadTooLargeError(BadInputError):
    """A request body that exceeds the size limit after decompression."""


class UnsupportedMediaTypeError(BadInputError):
    """A request whose content type is neither OTLP protobuf nor OTLP JSON."""


class OverloadedError(OtelReplayError):
    """The receiver cannot take more work right now; the sender should retry."""


class StoreUnavailableError(OtelReplayError):
    """The span store cannot be reached or written; the sender should retry."""


class NotFoundError(OtelReplayError):
    """A session, trace, run or file that does not exist."""
