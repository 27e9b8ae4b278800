"""`POST /v1/webhooks/vapi` and `POST /v1/webhooks/retell`: a finished call, as it arrives
from the platform, becomes spans in the voice-call convention on the same path as an OTLP
export (redaction, group commit, the same store).

Who may post: the platform's own signature or secret when one is configured
(`serve --vapi-secret`, `--retell-api-key`); else the receiver's bearer token when there is
one; else anyone who can reach the port (loopback by default). Events that hold no
finished call (Vapi status updates, Retell `call_started`) are answered 200 and not stored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from otel_replay.calls.signatures import (
    WebhookAuthError,
    WebhookSecrets,
    check_retell,
    check_vapi,
    same_secret,
)
from otel_replay.core.errors import BadInputError
from otel_replay.core.records import AnyValue
from otel_replay.otlp.decode import Encoding
from otel_replay.receiver.ingest import Ingestor

# Route -> platform name. The call parsers (and pydantic, for the snapshot) load with the
# first webhook, not with `serve`.
WEBHOOK_PATHS: dict[str, str] = {
    "/v1/webhooks/vapi": "vapi",
    "/v1/webhooks/retell": "retell",
}


@dataclass(frozen=True)
class WebhookAnswer:
    """The HTTP status and JSON body to answer a webhook with."""

    status: int
    body: dict[str, AnyValue] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode()


def _authorise(
    platform: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: WebhookSecrets,
    auth_token: str | None,
) -> None:
    if platform == "vapi" and secrets.vapi is not None:
        check_vapi(headers, body, secrets.vapi)
    elif platform == "retell" and secrets.retell_api_key is not None:
        check_retell(headers, body, secrets.retell_api_key, round(time.time() * 1000))
    elif auth_token is not None:
        given = headers.get("authorization", "")
        if not same_secret(given, f"Bearer {auth_token}"):
            raise WebhookAuthError(
                f"missing or wrong bearer token (or configure the {platform} secret)"
            )


def answer_webhook(
    platform: str,
    headers: Mapping[str, str],
    body: bytes,
    ingestor: Ingestor,
    secrets: WebhookSecrets,
    auth_token: str | None = None,
) -> WebhookAnswer:
    """Check, parse and store one webhook body of `platform` (`vapi`, `retell`); `headers`
    has lowercase names. Store errors (overload, a store that is down) are raised for the
    caller's error table."""
    from otel_replay.calls.payloads import Platform, call_platform, webhook_call
    from otel_replay.calls.spans import call_trace_request

    ingestor.count(f"webhooks_{platform}")
    try:
        _authorise(platform, headers, body, secrets, auth_token)
    except WebhookAuthError as exc:
        ingestor.count("webhooks_unauthenticated")
        return WebhookAnswer(401, {"error": str(exc)})
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return _refused(ingestor, f"the body is not JSON: {exc}")
    found = call_platform(document)
    if found is not Platform(platform) or not isinstance(document, dict):
        return _refused(ingestor, f"not a {platform} webhook body")
    try:
        record = webhook_call(found, document)
    except BadInputError as exc:
        return _refused(ingestor, str(exc))
    if record is None:
        ingestor.count("webhooks_ignored")
        return WebhookAnswer(200, {"stored": False, "reason": "no finished call in this event"})
    request = call_trace_request(record)
    result = ingestor.consume_traces(request.SerializeToString(), Encoding.PROTOBUF)
    ingestor.count("webhook_calls_stored")
    return WebhookAnswer(
        200,
        {
            "stored": True,
            "call_id": record.call_id,
            "spans": sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans),
            "rejected": result.rejected,
        },
    )


def _refused(ingestor: Ingestor, message: str) -> WebhookAnswer:
    ingestor.count("webhooks_bad_input")
    return WebhookAnswer(400, {"error": message})
