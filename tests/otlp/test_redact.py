"""Secrets never reach the store: key rules blank a value, value rules cut the secret out."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2

from otel_replay.core.errors import BadInputError
from otel_replay.otlp.convert import value_to_pb2
from otel_replay.otlp.redact import (
    _VALUE_HINTS,
    DEFAULT_VALUE_PATTERNS,
    Redactor,
    parse_redaction_rules,
)

OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
ANTHROPIC_KEY = "sk-ant-api03-" + "Zz09" * 8
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"
AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"
GITHUB_TOKEN = "ghp_" + "a" * 36
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("Authorization", "authorization"),
        ("http.request.header.authorization", "authorization"),
        ("OPENAI_API_KEY", "api-key"),
        ("X-Api-Key", "api-key"),
        ("apiKey", "api-key"),
        ("client_secret", "secret"),
        ("db.password", "password"),
        ("http.response.header.set-cookie", "cookie"),
        ("access_token", "token"),
        ("github.token", "token"),
        ("aws_access_key_id", "access-key"),
        ("signing_key", "key"),
    ],
)
def test_secret_keys_are_recognised_in_any_case_and_spelling(key: str, kind: str) -> None:
    assert Redactor().key_kind(key) == kind


@pytest.mark.parametrize(
    "key",
    [
        "gen_ai.usage.input_tokens",
        "llm.token_count.prompt",
        "ai.usage.promptTokens",
        "gen_ai.request.max_tokens",
        "session.id",
        "gen_ai.tool.call.arguments",
        "cache_key",
        "service.name",
    ],
)
def test_ordinary_keys_are_kept(key: str) -> None:
    assert Redactor().key_kind(key) is None


@pytest.mark.parametrize(
    ("secret", "kind"),
    [
        (OPENAI_KEY, "openai-key"),
        (ANTHROPIC_KEY, "anthropic-key"),
        (f"Bearer {OPENAI_KEY[:12]}xyz", "bearer"),
        (JWT, "jwt"),
        (AWS_KEY, "aws-access-key"),
        (GITHUB_TOKEN, "github-token"),
        (PRIVATE_KEY, "private-key"),
    ],
)
def test_secret_values_are_cut_out_of_the_text_around_them(secret: str, kind: str) -> None:
    redactor = Redactor()
    text = f"please use {secret} for the call"

    redacted = redactor.redact_text(text)

    assert secret not in redacted
    assert redacted.startswith("please use [REDACTED:")
    assert redacted.endswith(" for the call")
    assert redactor.counts[kind] >= 1


def test_plain_text_is_returned_unchanged() -> None:
    text = "Your order #123 ships tomorrow; the skeleton key is under the mat."
    assert Redactor().redact_text(text) is text


def _attribute(request_attributes: object, key: str) -> common_pb2.AnyValue:
    for attribute in request_attributes:  # type: ignore[attr-defined]
        if attribute.key == key:
            return attribute.value  # type: ignore[no-any-return]
    raise AssertionError(key)


def test_a_trace_request_is_redacted_everywhere_and_counted() -> None:
    request = trace_service_pb2.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    value_to_pb2("sk-should-not-matter", resource_spans.resource.attributes.add(key="x").value)
    span = resource_spans.scope_spans.add().spans.add()
    messages = [{"role": "user", "content": f"my key is {OPENAI_KEY}, check order 123"}]
    value_to_pb2(json.dumps(messages), span.attributes.add(key="gen_ai.input.messages").value)
    value_to_pb2({"api_key": "hunter2", "order": 123}, span.attributes.add(key="args").value)
    value_to_pb2(7, span.attributes.add(key="gen_ai.usage.input_tokens").value)
    value_to_pb2(f"Bearer {GITHUB_TOKEN}", span.events.add().attributes.add(key="header").value)
    value_to_pb2("s3cr3t", span.links.add().attributes.add(key="password").value)
    redactor = Redactor()

    redactor.redact_traces(request)

    content = json.loads(_attribute(span.attributes, "gen_ai.input.messages").string_value)
    assert content == [
        {"role": "user", "content": "my key is [REDACTED:openai-key], check order 123"}
    ]
    nested = _attribute(span.attributes, "args").kvlist_value.values
    assert [(kv.key, kv.value.WhichOneof("value")) for kv in nested] == [
        ("api_key", "string_value"),
        ("order", "int_value"),
    ]
    assert nested[0].value.string_value == "[REDACTED:api-key]"
    assert _attribute(span.attributes, "gen_ai.usage.input_tokens").int_value == 7
    assert "ghp_" not in span.events[0].attributes[0].value.string_value
    assert span.links[0].attributes[0].value.string_value == "[REDACTED:password]"
    assert dict(redactor.counts) == {
        "openai-key": 1,
        "api-key": 1,
        "bearer": 1,
        "password": 1,
    }


def test_log_bodies_are_redacted() -> None:
    request = logs_service_pb2.ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    value_to_pb2({"content": f"token {JWT}"}, record.body)

    Redactor().redact_logs(request)

    assert record.body.kvlist_value.values[0].value.string_value == "token [REDACTED:jwt]"


def test_rules_extend_or_turn_off_the_defaults() -> None:
    custom = parse_redaction_rules(["key:^x-tenant$", "value:ticket=TCK-[0-9]+"])
    assert custom.key_kind("X-Tenant") == "custom-key"
    assert custom.redact_text("see TCK-42") == "see [REDACTED:ticket]"
    assert custom.redact_text(OPENAI_KEY) == "[REDACTED:openai-key]"

    off = parse_redaction_rules(["off"])
    assert off.key_kind("Authorization") is None
    assert off.redact_text(OPENAI_KEY) == OPENAI_KEY
    assert not off.enabled


@pytest.mark.parametrize("rule", ["on", "key:", "value:nokind", "value:=x", "key:("])
def test_bad_rules_are_bad_input(rule: str) -> None:
    with pytest.raises(BadInputError, match="redact"):
        parse_redaction_rules([rule])


@pytest.mark.parametrize(("kind", "pattern"), DEFAULT_VALUE_PATTERNS, ids=lambda v: str(v)[:20])
@given(data=st.data())
def test_every_match_of_a_default_value_rule_holds_one_of_its_hints(
    kind: str, pattern: str, data: st.DataObject
) -> None:
    """Strings without a hint skip the patterns: a match without one would go unredacted."""
    match = data.draw(st.from_regex(pattern, fullmatch=True))
    assert any(hint in match.lower() for hint in _VALUE_HINTS[kind])
    assert Redactor().redact_text(f"x {match} y") != f"x {match} y"


def test_extra_value_rules_apply_without_the_default_hints() -> None:
    redactor = Redactor(default_rules=False, extra_values=[("ticket", r"T-[0-9]+")])
    assert redactor.redact_text("see T-42, not sk-x") == "see [REDACTED:ticket], not sk-x"


def test_a_secret_key_with_a_number_keeps_it() -> None:
    request = trace_service_pb2.ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    value_to_pb2(0.42, span.attributes.add(key="gen_ai.server.time_to_first_token").value)
    value_to_pb2("abc", span.attributes.add(key="access_token").value)

    Redactor().redact_traces(request)

    assert span.attributes[0].value.double_value == 0.42
    assert span.attributes[1].value.string_value == "[REDACTED:token]"


_KEY_PARTS = st.sampled_from(
    [
        *("gen_ai", "usage", "input_tokens", "token", "Token", "key", "api", "Api", "KEY"),
        *("cache", "access", "secret", "auth", "signing", "password", "x", "http", "header"),
        *("cookie", "Authorization", "llm", "token_count", "time_to_first", "id", "session"),
    ]
)
_SEPARATORS = st.sampled_from([".", "_", "-", "", ":", "/", " "])
_VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([OPENAI_KEY, JWT, AWS_KEY, GITHUB_TOKEN, "Bearer abcdefgh12", "task-free"]),
)


@st.composite
def _keys(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_KEY_PARTS, min_size=1, max_size=4))
    return "".join(part + draw(_SEPARATORS) for part in parts)


@given(st.lists(st.tuples(_keys(), _VALUES), max_size=6))
def test_a_span_the_quick_look_lets_pass_holds_nothing_to_redact(
    attributes: list[tuple[str, object]],
) -> None:
    request = trace_service_pb2.ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    for key, value in attributes:
        value_to_pb2(value, span.attributes.add(key=key).value)  # type: ignore[arg-type]
    before = span.SerializeToString()
    redactor = Redactor()
    walked = trace_service_pb2.ExportTraceServiceRequest()
    walked.CopyFrom(request)
    redactor.redact_attributes(walked.resource_spans[0].scope_spans[0].spans[0].attributes)

    if not redactor.may_hold_secret(span):
        assert walked.resource_spans[0].scope_spans[0].spans[0].SerializeToString() == before
