"""How a call ended, as one of a few buckets that mean the same on every platform.

Vapi's `endedReason` has hundreds of values (most are provider faults), Retell's
`disconnection_reason` a few dozen, LiveKit's `lk.close_reason` four; a change of bucket
between the original call and its replay is what a regression test looks at.
"""

from __future__ import annotations

from enum import StrEnum


class EndReasonBucket(StrEnum):
    COMPLETED_USER = "completed_user"  # the caller hung up
    COMPLETED_AGENT = "completed_agent"  # the agent ended the call
    TRANSFERRED = "transferred"
    VOICEMAIL = "voicemail"
    SILENCE = "silence"
    MAX_DURATION = "max_duration"
    NOT_CONNECTED = "not_connected"
    ERROR = "error"
    OTHER = "other"
    UNKNOWN = "unknown"  # the record says nothing about the end


_B = EndReasonBucket
_EXACT: dict[str, EndReasonBucket] = {
    # Vapi endedReason
    "customer-ended-call": _B.COMPLETED_USER,
    "customer-ended-call-after-warm-transfer-attempt": _B.COMPLETED_USER,
    "customer-ended-call-before-warm-transfer": _B.COMPLETED_USER,
    "customer-ended-call-during-transfer": _B.COMPLETED_USER,
    "assistant-ended-call": _B.COMPLETED_AGENT,
    "assistant-said-end-call-phrase": _B.COMPLETED_AGENT,
    "assistant-ended-call-with-hangup-task": _B.COMPLETED_AGENT,
    "assistant-ended-call-after-message-spoken": _B.COMPLETED_AGENT,
    "assistant-forwarded-call": _B.TRANSFERRED,
    "call.forwarding.operator-busy": _B.TRANSFERRED,
    "voicemail": _B.VOICEMAIL,
    "silence-timed-out": _B.SILENCE,
    "exceeded-max-duration": _B.MAX_DURATION,
    "customer-busy": _B.NOT_CONNECTED,
    "customer-did-not-answer": _B.NOT_CONNECTED,
    "twilio-failed-to-connect-call": _B.NOT_CONNECTED,
    "customer-did-not-give-microphone-permission": _B.NOT_CONNECTED,
    # Retell disconnection_reason
    "user_hangup": _B.COMPLETED_USER,
    "agent_hangup": _B.COMPLETED_AGENT,
    "call_transfer": _B.TRANSFERRED,
    "transfer_bridged": _B.TRANSFERRED,
    "transfer_cancelled": _B.TRANSFERRED,
    "voicemail_reached": _B.VOICEMAIL,
    "ivr_reached": _B.VOICEMAIL,
    "inactivity": _B.SILENCE,
    "max_duration_reached": _B.MAX_DURATION,
    "dial_busy": _B.NOT_CONNECTED,
    "dial_failed": _B.NOT_CONNECTED,
    "dial_no_answer": _B.NOT_CONNECTED,
    "invalid_destination": _B.NOT_CONNECTED,
    "marked_as_spam": _B.NOT_CONNECTED,
    "user_declined": _B.NOT_CONNECTED,
    "telephony_provider_permission_denied": _B.NOT_CONNECTED,
    "telephony_provider_unavailable": _B.NOT_CONNECTED,
    "sip_routing_error": _B.NOT_CONNECTED,
    "error_user_not_joined": _B.NOT_CONNECTED,
    "registered_call_timeout": _B.NOT_CONNECTED,
    "concurrency_limit_reached": _B.ERROR,
    "no_concurrency_fallback": _B.ERROR,
    "no_valid_payment": _B.ERROR,
    "scam_detected": _B.ERROR,
    # LiveKit Agents `lk.close_reason` (CloseReason): the caller left, the agent's code
    # closed the session, the worker shut down, or an error.
    "participant_disconnected": _B.COMPLETED_USER,
    "user_initiated": _B.COMPLETED_AGENT,
    "job_shutdown": _B.OTHER,
    "error": _B.ERROR,
}

# Prefixes, tried in order after the exact names.
_PREFIXES: tuple[tuple[str, EndReasonBucket], ...] = (
    ("customer-ended-call", _B.COMPLETED_USER),
    ("assistant-ended-call", _B.COMPLETED_AGENT),
    ("call.forwarding.", _B.TRANSFERRED),
    ("vonage-", _B.NOT_CONNECTED),
    ("call.ringing.", _B.NOT_CONNECTED),
    ("pipeline-error-", _B.ERROR),
    ("call.start.error-", _B.ERROR),
    ("call.in-progress.error-", _B.ERROR),
    ("assistant-request-", _B.ERROR),
    ("worker-", _B.ERROR),
    ("assistant-not-", _B.ERROR),
    ("error_", _B.ERROR),
    ("error-", _B.ERROR),
)


def bucket_end_reason(reason: str | None) -> EndReasonBucket | None:
    """The bucket of a provider's end reason (None when none is recorded); a reason no rule
    knows is `other`."""
    if reason is None or not reason.strip():
        return None
    key = reason.strip()
    if key in EndReasonBucket.__members__.values():
        return EndReasonBucket(key)
    exact = _EXACT.get(key)
    if exact is not None:
        return exact
    for prefix, bucket in _PREFIXES:
        if key.startswith(prefix):
            return bucket
    return _B.OTHER
