"""Redaction of secrets in decoded OTLP requests, before anything is written.

Two kinds of rule, both case-insensitive:

- key rules: an attribute whose key names a secret (`Authorization`, `x-api-key`,
  `OPENAI_API_KEY`, `apiKey`, `client_secret`, `password`, `cookie`, `access_token`, ...)
  has its whole value replaced. A key is split into words (dots, dashes, underscores, spaces
  and camelCase) so that `gen_ai.usage.input_tokens` or `llm.token_count.prompt` are not
  mistaken for tokens: `token` must be the key's last word.
- value rules: a secret found inside any string value (OpenAI and Anthropic keys, bearer
  credentials, JWTs, AWS access key ids, GitHub tokens, PEM private keys) is replaced where
  it stands, so the rest of a message, a JSON payload or a header dump survives. GenAI
  message content travels as JSON text or as nested values: both are reached.

A replaced value becomes the marker `[REDACTED:<kind>]`. Span, event and link attributes,
resource and scope attributes, log attributes and log bodies are all covered.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2

from otel_replay.core.errors import BadInputError
from otel_replay.otlp.probe import BytesProbe, Probe

MARKER = "[REDACTED:{kind}]"

# Words of a key that name a secret wherever they stand in it.
_SECRET_WORDS = {
    "authorization": "authorization",
    "password": "password",
    "passwd": "password",
    "secret": "secret",
    "cookie": "cookie",
    "credential": "credential",
    "credentials": "credential",
    "apikey": "api-key",
    "privatekey": "private-key",
}
# Word pairs that name a secret wherever they stand (`x-api-key`, `aws_access_key_id`).
_SECRET_PAIRS = {
    ("api", "key"): "api-key",
    ("private", "key"): "private-key",
    ("access", "key"): "access-key",
    ("secret", "key"): "secret",
    ("set", "cookie"): "cookie",
}
# Words that name a secret only as the key's last word (`access_token`, not `token_count`).
_SECRET_LAST_WORDS = {"token": "token", "key": "key"}
# A last word "key" is a secret only after these (`api.key`, `signing_key`), so that
# `gen_ai.tool.call.key` style identifiers or `cache_key` stay readable.
_KEY_QUALIFIERS = {"api", "access", "secret", "private", "signing", "encryption", "auth"}

# The AnyValue kinds a secret can travel in; a key rule leaves numbers and booleans alone.
_SECRET_CARRIERS = frozenset({"string_value", "bytes_value", "array_value", "kvlist_value"})

_WORD_SPLIT = re.compile(r"[._\-\s/:]+|(?<=[a-z0-9])(?=[A-Z])")

DEFAULT_VALUE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{16,}"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ("bearer", r"\b(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{8,}"),
    ("aws-access-key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
)

# Text every match of a default value rule holds, lowercased: a string holding none of them
# holds no default secret, which `in` tells far faster than the patterns (a GenAI span carries
# kilobytes of message text; searching it with the patterns cost ~0.4 ms a span).
_VALUE_HINTS: dict[str, tuple[str, ...]] = {
    "private-key": ("-----begin",),
    "anthropic-key": ("sk-ant-",),
    "openai-key": ("sk-",),
    "jwt": ("eyj",),
    "bearer": ("bearer",),
    "aws-access-key": ("akia", "asia"),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
}
_ALL_VALUE_HINTS = tuple(sorted({hint for hints in _VALUE_HINTS.values() for hint in hints}))
_ANY_HINT = re.compile("|".join(re.escape(hint) for hint in _ALL_VALUE_HINTS))

# A quick look at a whole serialised message (a request, a span, a log record) before its
# attributes are visited in Python: most hold no secret (otlp/probe.py). Every probe fires
# wherever a rule could match, or more often:
# - each default value rule, by its pattern without `\b` (on the wire a value starts right
#   after its length byte, which may be a letter or digit); `bearer` by its hint alone
#   (Unicode spaces after it are `\s` in text only);
# - each key rule by its words, lowercased; a pair of words with anything but letters and
#   digits between them (separators, Unicode spaces, a camelCase boundary once lowercased);
# - a key ending in `token` (or a qualified `key`) by the KeyValue's value field (tag 0x12)
#   right after it: messages are serialised by us, so a key always comes before its value;
# - KELVIN SIGN, which lowercases to an ASCII `k` in a key (`str.lower`, not `bytes.lower`).
_PROBES: tuple[Probe, ...] = (
    *(
        Probe(
            hint.encode(),
            None if kind == "bearer" else pattern.replace(r"\b", "").encode(),
            caseless=False,
        )
        for kind, pattern in DEFAULT_VALUE_PATTERNS
        for hint in _VALUE_HINTS[kind]
    ),
    *(Probe(word) for word in (b"authorization", b"passw", b"secret", b"cookie", b"credential")),
    *(Probe(word, word + rb"[^a-z0-9]*key") for word in (b"api", b"private", b"access")),
    Probe(b"token", rb"token[^a-z0-9]*\x12"),
    *(Probe(q.encode(), q.encode() + rb"[^a-z0-9]*key[^a-z0-9]*\x12") for q in _KEY_QUALIFIERS),
    Probe("\N{KELVIN SIGN}".encode()),
)
_PROBE = BytesProbe(_PROBES)

# The shortest text a default value rule matches (`bearer` and 8 characters).
_SHORTEST_SECRET = 15


def _key_words(key: str) -> list[str]:
    return [word.lower() for word in _WORD_SPLIT.split(key) if word]


def _default_key_kind(key: str) -> str | None:
    words = _key_words(key)
    if not words:
        return None
    for word in words:
        if word in _SECRET_WORDS:
            return _SECRET_WORDS[word]
    for pair in itertools.pairwise(words):
        if pair in _SECRET_PAIRS:
            return _SECRET_PAIRS[pair]
    last = words[-1]
    if last == "token":
        return _SECRET_LAST_WORDS[last]
    if last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS:
        return _SECRET_LAST_WORDS[last]
    return None


@dataclass
class Redactor:
    """Compiled redaction rules; `redact_*` mutate a decoded request and count what they did.

    `extra_keys` are regular expressions matched (case-insensitively, `re.search`) against
    attribute keys; `extra_values` are (kind, regular expression) pairs found in values.
    """

    default_rules: bool = True
    extra_keys: Sequence[str] = ()
    extra_values: Sequence[tuple[str, str]] = ()
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        try:
            self._extra_keys = [re.compile(p, re.IGNORECASE) for p in self.extra_keys]
            patterns = [*(DEFAULT_VALUE_PATTERNS if self.default_rules else ()), *self.extra_values]
            self._values = [(kind, re.compile(p)) for kind, p in patterns]
        except re.error as exc:
            raise BadInputError(f"bad redaction pattern: {exc}") from exc
        # Most strings hold no secret: the default rules' hints, then one pass of the extra
        # patterns, rule them out before each pattern is tried.
        self._hints = _ANY_HINT if self.default_rules else None
        self._any_extra = (
            re.compile("|".join(f"(?:{p})" for _, p in self.extra_values))
            if self.extra_values
            else None
        )
        self._key_kinds: dict[str, str | None] = {}
        self._lock = threading.Lock()  # request threads redact concurrently

    def _count(self, kind: str, amount: int = 1) -> None:
        with self._lock:
            self.counts[kind] += amount

    @property
    def enabled(self) -> bool:
        return self.default_rules or bool(self.extra_keys) or bool(self.extra_values)

    def key_kind(self, key: str) -> str | None:
        """The kind of secret an attribute key names, or None."""
        if key in self._key_kinds:
            return self._key_kinds[key]
        kind = _default_key_kind(key) if self.default_rules else None
        if kind is None and any(p.search(key) for p in self._extra_keys):
            kind = "custom-key"
        if len(self._key_kinds) < 100_000:
            self._key_kinds[key] = kind
        return kind

    def _may_hold_secret(self, text: str) -> bool:
        if self._any_extra is not None and self._any_extra.search(text):
            return True
        if self._hints is None or len(text) < _SHORTEST_SECRET:
            return False
        return self._hints.search(text.lower()) is not None

    def redact_text(self, text: str) -> str:
        """The text with every secret value replaced by its marker."""
        if not self._may_hold_secret(text):
            return text
        for kind, pattern in self._values:
            text, replaced = pattern.subn(MARKER.format(kind=kind), text)
            if replaced:
                self._count(kind, replaced)
        return text

    def _redact_value(self, value: common_pb2.AnyValue) -> None:
        which = value.WhichOneof("value")
        if which == "string_value":
            redacted = self.redact_text(value.string_value)
            if redacted != value.string_value:
                value.string_value = redacted
        elif which == "array_value":
            for item in value.array_value.values:
                self._redact_value(item)
        elif which == "kvlist_value":
            self.redact_attributes(value.kvlist_value.values)

    def redact_attributes(self, attributes: Iterable[common_pb2.KeyValue]) -> None:
        """Key rules, then value rules, on every attribute (nested lists and maps too)."""
        for attribute in attributes:
            kind = self.key_kind(attribute.key)
            # Numbers and booleans are no secrets (`gen_ai.server.time_to_first_token`).
            if kind is not None and attribute.value.WhichOneof("value") in _SECRET_CARRIERS:
                attribute.value.Clear()
                attribute.value.string_value = MARKER.format(kind=kind)
                self._count(kind)
            else:
                self._redact_value(attribute.value)

    @property
    def probes(self) -> bool:
        """Whether a quick look can rule messages out: with the default rules only (custom
        patterns give no hints, so with them every message is visited)."""
        return self.default_rules and not self.extra_keys and not self.extra_values

    def may_hold_secret(self, message: Message) -> bool:
        """False only when no rule can redact anything in the message (see `probes`)."""
        if not self.probes:
            return True
        return _PROBE.search(message.SerializeToString())

    def may_hold_secret_in(self, serialised: Iterable[bytes]) -> bool:
        """`may_hold_secret` of messages we serialised (a key before its value), in one look
        at them all: the rows a request becomes already hold its spans' bytes."""
        if not self.probes:
            return True
        return _PROBE.search_all(list(serialised))

    def redact_traces(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        """Every attribute of the request's resources, scopes, spans, events and links."""
        if not self.may_hold_secret(request):  # one look at the whole request first
            return
        for resource_spans in request.resource_spans:
            self.redact_attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                self.redact_attributes(scope_spans.scope.attributes)
                for span in scope_spans.spans:
                    if not self.may_hold_secret(span):
                        continue
                    self.redact_attributes(span.attributes)
                    for event in span.events:
                        self.redact_attributes(event.attributes)
                    for link in span.links:
                        self.redact_attributes(link.attributes)
                    if span.status.message:
                        span.status.message = self.redact_text(span.status.message)

    def redact_logs(self, request: logs_service_pb2.ExportLogsServiceRequest) -> None:
        """Every attribute and body of the request's resources, scopes and log records."""
        if not self.may_hold_secret(request):
            return
        for resource_logs in request.resource_logs:
            self.redact_attributes(resource_logs.resource.attributes)
            for scope_logs in resource_logs.scope_logs:
                self.redact_attributes(scope_logs.scope.attributes)
                for record in scope_logs.log_records:
                    if not self.may_hold_secret(record):
                        continue
                    self.redact_attributes(record.attributes)
                    self._redact_value(record.body)


def parse_redaction_rules(rules: Sequence[str]) -> Redactor:
    """`--redact` values: `off` (no default rules), `key:REGEX` (attribute keys to blank) or
    `value:KIND=REGEX` (secrets to find in values); defaults stay on unless `off` is given."""
    default_rules = True
    keys: list[str] = []
    values: list[tuple[str, str]] = []
    for rule in rules:
        if rule == "off":
            default_rules = False
        elif rule.startswith("key:") and rule[4:]:
            keys.append(rule[4:])
        elif rule.startswith("value:") and "=" in rule[6:]:
            kind, _, pattern = rule[6:].partition("=")
            if not kind or not pattern:
                raise BadInputError(f"--redact {rule!r}: expected value:KIND=REGEX")
            values.append((kind, pattern))
        else:
            raise BadInputError(f"--redact {rule!r}: expected off, key:REGEX or value:KIND=REGEX")
    return Redactor(default_rules=default_rules, extra_keys=keys, extra_values=values)
