"""The quick look redaction takes at a message's bytes (otlp/probe.py) lets nothing through
that a rule would redact, with Hyperscan and with the stdlib searches alike."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_replay.otlp.convert import value_to_pb2
from otel_replay.otlp.probe import HAVE_HYPERSCAN, BytesProbe, Probe
from otel_replay.otlp.redact import _PROBES, Redactor

ENGINES = [False, True] if HAVE_HYPERSCAN else [False]
PROBES = {use: BytesProbe(_PROBES, use_hyperscan=use) for use in ENGINES}


def test_hyperscan_is_what_redaction_uses_where_its_wheels_install() -> None:
    assert HAVE_HYPERSCAN, "hyperscan is a dependency on x86-64 Linux (pyproject.toml)"


@pytest.mark.parametrize("use_hyperscan", ENGINES)
def test_a_probe_fires_on_its_hint_and_pattern_only(use_hyperscan: bool) -> None:
    probe = BytesProbe(
        [Probe(b"sk-", rb"sk-[a-z]{4}", caseless=False), Probe(b"secret")],
        use_hyperscan=use_hyperscan,
    )
    assert probe.search(b"x sk-abcd y")
    assert not probe.search(b"x SK-ABCD y")  # a case-sensitive pattern
    assert not probe.search(b"ask-ab only")
    assert probe.search(b"My_SECRET")  # a hint alone is caseless
    assert not probe.search(b"")


@pytest.mark.parametrize("use_hyperscan", ENGINES)
def test_parts_are_looked_at_as_if_joined(use_hyperscan: bool) -> None:
    probe = BytesProbe([Probe(b"secret")], use_hyperscan=use_hyperscan)
    assert probe.search_all([b"my_sec", b"", b"ret_x"])
    assert not probe.search_all([b"", b"plain", b""])
    assert not probe.search_all([])


def _span(attributes: list[tuple[str, object]]) -> trace_pb2.Span:
    span = trace_pb2.Span(name="chat")
    for key, value in attributes:
        value_to_pb2(value, span.attributes.add(key=key).value)  # type: ignore[arg-type]
    return span


@pytest.mark.parametrize("use_hyperscan", ENGINES)
@pytest.mark.parametrize(
    "key",
    [
        "api_\N{KELVIN SIGN}ey",  # str.lower() makes it `api_key`
        "x-Api\N{NO-BREAK SPACE}Key",
        "myApiKey",
        "PRIVATEKey",
        "github.Access-Key",
        "refresh_token\N{EM SPACE}",
        "Set-Cookie",
    ],
)
def test_keys_a_rule_blanks_are_seen_in_the_bytes(key: str, use_hyperscan: bool) -> None:
    span = _span([(key, "plain words")])
    assert Redactor().key_kind(key) is not None
    assert PROBES[use_hyperscan].search(span.SerializeToString())


@pytest.mark.parametrize("use_hyperscan", ENGINES)
def test_genai_usage_and_plain_message_text_pass_without_a_walk(use_hyperscan: bool) -> None:
    span = _span(
        [
            ("gen_ai.usage.input_tokens", 120),
            ("llm.token_count.prompt", 120),
            ("gen_ai.input.messages", '[{"role":"user","content":"Ask about my task-list"}]'),
            ("cache_key", "abc"),
        ]
    )
    assert not PROBES[use_hyperscan].search(span.SerializeToString())


_WORDS = st.sampled_from(
    [
        *("gen_ai", "token", "Token", "KEY", "key", "api", "Api", "access", "private", "x"),
        *("secret", "auth", "signing", "password", "cookie", "Authorization", "token_count"),
        *("sk-", "eyJ", "AKIA", "ghp_", "Bearer", "-----BEGIN RSA PRIVATE KEY-----", "id"),
        *("A1b2C3d4E5f6G7h8I9j0", "\N{KELVIN SIGN}", "\N{NO-BREAK SPACE}", "\N{OGHAM SPACE MARK}"),
    ]
)
_GLUE = st.sampled_from(["", ".", "_", "-", " ", ":", "/", "\t", "\x1c", "é"])


@st.composite
def _texts(draw: st.DrawFn) -> str:
    return "".join(w + draw(_GLUE) for w in draw(st.lists(_WORDS, min_size=1, max_size=5)))


@pytest.mark.parametrize("use_hyperscan", ENGINES)
@given(
    attributes=st.lists(
        st.tuples(_texts(), st.one_of(_texts(), st.integers(-(2**63), 2**63 - 1))), max_size=5
    )
)
def test_a_span_either_probe_lets_pass_holds_nothing_to_redact(
    use_hyperscan: bool, attributes: list[tuple[str, object]]
) -> None:
    span = _span(attributes)
    before = span.SerializeToString()
    walked = trace_pb2.Span()
    walked.CopyFrom(span)
    Redactor().redact_attributes(walked.attributes)
    if not PROBES[use_hyperscan].search(before):
        assert walked.SerializeToString() == before
