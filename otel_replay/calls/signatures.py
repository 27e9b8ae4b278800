"""Pure: is a webhook really from Vapi or Retell? Checked on the raw body, before parsing.

Vapi (docs.vapi.ai/server-url/server-authentication): a custom credential makes Vapi send an
HMAC-SHA256 of the body (`x-vapi-signature`, hex, body only, no timestamp), a bearer token
(`Authorization: Bearer`), or, on servers configured the older way, the secret itself
(`x-vapi-secret`). One configured secret checks whichever the request carries.

Retell (docs.retellai.com/features/secure-webhook): `x-retell-signature: v=<unix ms>,d=<hex>`
where the digest is HMAC-SHA256, keyed with the API key, of the raw body followed by the
timestamp's decimal text; Retell's SDKs refuse signatures older than five minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from otel_replay.core.errors import OtelReplayError

RETELL_SIGNATURE_HEADER = "x-retell-signature"
VAPI_SIGNATURE_HEADER = "x-vapi-signature"
VAPI_SECRET_HEADER = "x-vapi-secret"
RETELL_MAX_AGE_MS = 5 * 60 * 1000
_RETELL_SIGNATURE = re.compile(r"^v=(\d{1,16}),d=([0-9a-fA-F]{64})$")


class WebhookAuthError(OtelReplayError):
    """A webhook whose signature or secret is missing or wrong (answered 401)."""


@dataclass(frozen=True)
class WebhookSecrets:
    """What each platform's webhooks are checked with; None leaves a platform unchecked."""

    vapi: str | None = None
    retell_api_key: str | None = None


def _hex_hmac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def sign_vapi(body: bytes, secret: str) -> str:
    """The `x-vapi-signature` Vapi's HMAC credential sends for this body."""
    return _hex_hmac(secret, body)


def sign_retell(body: bytes, api_key: str, timestamp_ms: int) -> str:
    """The `x-retell-signature` Retell sends for this body at this time."""
    return f"v={timestamp_ms},d={_hex_hmac(api_key, body + str(timestamp_ms).encode())}"


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets."""
    return hmac.compare_digest(given.encode(), expected.encode())


def check_vapi(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """WebhookAuthError unless the request carries a right signature, token or secret;
    `headers` has lowercase names."""
    signature = headers.get(VAPI_SIGNATURE_HEADER)
    if signature is not None:
        given = signature.strip().removeprefix("sha256=").lower()
        if same_secret(given, sign_vapi(body, secret)):
            return
        raise WebhookAuthError(f"{VAPI_SIGNATURE_HEADER} does not match the body")
    bearer = headers.get("authorization", "")
    if bearer.startswith("Bearer ") and same_secret(bearer[len("Bearer ") :].strip(), secret):
        return
    plain = headers.get(VAPI_SECRET_HEADER)
    if plain is not None and same_secret(plain.strip(), secret):
        return
    raise WebhookAuthError(
        f"missing or wrong Vapi credential: send {VAPI_SIGNATURE_HEADER}, a bearer token or "
        f"{VAPI_SECRET_HEADER}"
    )


def check_retell(headers: Mapping[str, str], body: bytes, api_key: str, now_ms: int) -> None:
    """WebhookAuthError unless `x-retell-signature` signs this body, within five minutes of
    `now_ms`; `headers` has lowercase names."""
    header = headers.get(RETELL_SIGNATURE_HEADER)
    if header is None:
        raise WebhookAuthError(f"missing {RETELL_SIGNATURE_HEADER}")
    match = _RETELL_SIGNATURE.match(header.strip())
    if match is None:
        raise WebhookAuthError(f"{RETELL_SIGNATURE_HEADER} is not v=<unix ms>,d=<hex sha256>")
    timestamp = int(match.group(1))
    if abs(now_ms - timestamp) > RETELL_MAX_AGE_MS:
        raise WebhookAuthError(f"{RETELL_SIGNATURE_HEADER} is older than five minutes")
    if not same_secret(
        sign_retell(body, api_key, timestamp), f"v={timestamp},d={match.group(2).lower()}"
    ):
        raise WebhookAuthError(f"{RETELL_SIGNATURE_HEADER} does not match the body")
