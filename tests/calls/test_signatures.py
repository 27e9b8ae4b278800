"""Webhook signature checks, as each platform documents them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from otel_replay.calls.signatures import (
    RETELL_MAX_AGE_MS,
    WebhookAuthError,
    check_retell,
    check_vapi,
    sign_retell,
    sign_vapi,
)

BODY = b'{"message": {"type": "end-of-call-report"}}'
NOW = 1_793_613_600_000


def test_a_retell_signature_is_the_hmac_of_the_body_then_the_timestamp() -> None:
    digest = hmac.new(b"key_1", BODY + b"1793613600000", hashlib.sha256).hexdigest()
    assert sign_retell(BODY, "key_1", NOW) == f"v=1793613600000,d={digest}"
    check_retell({"x-retell-signature": sign_retell(BODY, "key_1", NOW)}, BODY, "key_1", NOW)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing x-retell-signature"),
        ({"x-retell-signature": "sha256=abc"}, "is not v=<unix ms>"),
        ({"x-retell-signature": sign_retell(BODY, "other", NOW)}, "does not match the body"),
        ({"x-retell-signature": sign_retell(BODY + b" ", "key_1", NOW)}, "does not match"),
        (
            {"x-retell-signature": sign_retell(BODY, "key_1", NOW - RETELL_MAX_AGE_MS - 1)},
            "older than five minutes",
        ),
    ],
)
def test_a_wrong_or_stale_retell_signature_is_refused(
    headers: dict[str, str], message: str
) -> None:
    with pytest.raises(WebhookAuthError, match=message):
        check_retell(headers, BODY, "key_1", NOW)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-vapi-signature": sign_vapi(BODY, "s3cret")},
        {"x-vapi-signature": "sha256=" + sign_vapi(BODY, "s3cret")},
        {"authorization": "Bearer s3cret"},
        {"x-vapi-secret": "s3cret"},
    ],
)
def test_vapi_accepts_its_hmac_its_bearer_credential_or_its_legacy_secret(
    headers: dict[str, str],
) -> None:
    check_vapi(headers, BODY, "s3cret")


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing or wrong Vapi credential"),
        ({"x-vapi-secret": "guess"}, "missing or wrong Vapi credential"),
        ({"authorization": "Bearer guess"}, "missing or wrong Vapi credential"),
        # A signature that does not match is refused even when a right secret rides along.
        (
            {"x-vapi-signature": sign_vapi(b"{}", "s3cret"), "x-vapi-secret": "s3cret"},
            "does not match the body",
        ),
    ],
)
def test_vapi_refuses_a_missing_or_wrong_credential(headers: dict[str, str], message: str) -> None:
    with pytest.raises(WebhookAuthError, match=message):
        check_vapi(headers, BODY, "s3cret")
