"""A post-call analysis that arrives after the call is stored (Retell's `call_analyzed` after
`call_ended`, a second Vapi end-of-call report) is added to the stored call as its own
`voice.call.analysis` span; the same analysis delivered again adds nothing, a different one
is kept beside it; the call's turns are unchanged. Through the webhooks of a real receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from otel_replay.calls.spans import call_spans
from otel_replay.cli.main import cli
from otel_replay.core.records import Span
from otel_replay.receiver.serve import Receiver
from otel_replay.semconv.attributes import VoiceCall
from otel_replay.semconv.calls import call_analyses
from tests.calls.support import record_of, retell_webhook, vapi_report
from tests.conftest import opened_store
from tests.receiver.clients import post_http
from tests.receiver.conftest import http_port, module_receiver


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    yield from module_receiver(tmp_path_factory, "analysis-webhooks", grpc=None)


def _deliver(receiver: Receiver, platform: str, *documents: dict[str, Any]) -> list[Span]:
    """Post each document to the platform's webhook; the stored spans of the call."""
    for document in documents:
        answer = post_http(
            http_port(receiver),
            json.dumps(document).encode(),
            content_type="application/json",
            path=f"/v1/webhooks/{platform}",
        )
        assert answer.status == 200, answer.body
    trace_id = call_spans(record_of(documents[0]))[0].trace_id
    for store in opened_store(receiver.store.url):
        return store.get_spans([trace_id])
    raise AssertionError("no store")


def _turns(receiver: Receiver, call_id: str) -> list[Any]:
    shown = CliRunner().invoke(cli, ["session", call_id, "--json", "--store", receiver.store.url])
    assert shown.exit_code == 0, shown.output
    return [(t["user"], t["assistant"]) for t in json.loads(shown.output)["turns"]]


def test_retell_call_analyzed_after_call_ended_adds_the_analysis(receiver: Receiver) -> None:
    ended = retell_webhook("retell-analyzed-later", "user_hangup")
    _deliver(receiver, "retell", ended)
    turns = _turns(receiver, "retell-analyzed-later")
    analyzed = retell_webhook("retell-analyzed-later", "user_hangup", event="call_analyzed")
    analyzed["call"]["call_analysis"] = {
        "call_summary": "The user said hello.",
        "user_sentiment": "Positive",
        "call_successful": True,
        "custom_analysis_data": {"topic": "greeting"},
    }

    # Analysed, then both events delivered again: one analysis span, nothing else new.
    spans = _deliver(receiver, "retell", analyzed, ended, analyzed)

    assert len(spans) == 4  # root, one turn, one model call, the analysis
    (span,) = [s for s in spans if s.name == VoiceCall.SPAN_ANALYSIS]
    (root,) = [s for s in spans if s.name == VoiceCall.SPAN_CALL]
    assert span.parent_span_id == root.span_id
    assert root.attributes[VoiceCall.SOURCE] == "retell.call_ended"  # the first copy stays
    (analysis,) = call_analyses(spans)
    assert analysis.summary == "The user said hello."
    assert (analysis.success, analysis.user_sentiment) == ("true", "Positive")
    assert analysis.raw == analyzed["call"]["call_analysis"]
    assert _turns(receiver, "retell-analyzed-later") == turns


def test_a_second_vapi_report_adds_its_analysis_beside_the_first(receiver: Receiver) -> None:
    first = vapi_report("vapi-reported-twice", "customer-ended-call")
    first["message"]["analysis"] = {"summary": "Greeting only.", "successEvaluation": "false"}
    second = vapi_report("vapi-reported-twice", "customer-ended-call")
    second["message"]["analysis"] = {
        "summary": "The caller greeted the agent.",
        "structuredData": {"intent": "hello"},
        "successEvaluation": "8",
    }

    spans = _deliver(receiver, "vapi", first, second, second)

    analyses = call_analyses(spans)
    assert len(analyses) == 2
    assert {(a.summary, a.success) for a in analyses} == {
        ("Greeting only.", "false"),
        ("The caller greeted the agent.", "8"),
    }
    assert len([s for s in spans if s.name == VoiceCall.SPAN_CALL]) == 1
    assert len(_turns(receiver, "vapi-reported-twice")) == 1
