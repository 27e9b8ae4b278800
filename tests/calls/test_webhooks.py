"""`serve`'s webhook routes on loopback: calls in, signatures checked, bad bodies refused, and
every command reading what came in."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from otel_replay.calls.payloads import call_platform
from otel_replay.calls.signatures import WebhookSecrets, sign_retell, sign_vapi
from otel_replay.calls.spans import call_spans
from otel_replay.cli.main import cli
from otel_replay.receiver.serve import Receiver
from otel_replay.semconv.attributes import VoiceCall
from tests.calls.support import (
    BUCKET_REASONS,
    CALL_FILES,
    RETELL_TOOLS,
    VAPI_BARGE_IN,
    load,
    record_of,
    retell_webhook,
    vapi_report,
)
from tests.conftest import opened_store
from tests.receiver.clients import HttpAnswer, post_http
from tests.receiver.conftest import http_port, module_receiver
from tests.receiver.serve_process import running_serve

VAPI_SECRET = "vapi-s3cret"
RETELL_KEY = "key_retell_webhook"
JSON = "application/json"


@pytest.fixture(scope="module")
def open_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """No platform secret and no token: anyone on loopback may post."""
    yield from module_receiver(tmp_path_factory, "open-webhooks", grpc=None)


@pytest.fixture(scope="module")
def signed_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    secrets = WebhookSecrets(vapi=VAPI_SECRET, retell_api_key=RETELL_KEY)
    yield from module_receiver(
        tmp_path_factory, "signed-webhooks", grpc=None, webhook_secrets=secrets
    )


def _post(
    receiver: Receiver, platform: str, body: bytes, headers: dict[str, str] | None = None
) -> HttpAnswer:
    return post_http(
        http_port(receiver),
        body,
        content_type=JSON,
        path=f"/v1/webhooks/{platform}",
        headers=headers,
    )


def _answer(answer: HttpAnswer) -> dict[str, Any]:
    assert answer.content_type == JSON
    found = json.loads(answer.body)
    assert isinstance(found, dict)
    return found


def _root_attributes(receiver: Receiver, document: dict[str, Any]) -> dict[str, Any]:
    trace_id = call_spans(record_of(document))[0].trace_id
    for store in opened_store(receiver.store.url):
        spans = store.get_spans([trace_id])
        (root,) = [s for s in spans if s.name == VoiceCall.SPAN_CALL]
        return dict(root.attributes)
    raise AssertionError("no store")


@pytest.mark.parametrize("case", sorted(CALL_FILES))
def test_a_call_posted_to_its_webhook_is_stored_and_every_command_reads_it(
    case: str, open_receiver: Receiver
) -> None:
    path, call_id, turns = CALL_FILES[case]
    document = load(path)
    platform = call_platform(document)
    assert platform is not None
    answer = _post(open_receiver, platform.value, path.read_bytes())
    assert answer.status == 200, answer.body
    assert _answer(answer)["stored"] is True
    assert _answer(answer)["call_id"] == call_id
    store_url = open_receiver.store.url
    runner = CliRunner()
    shown = runner.invoke(cli, ["session", call_id, "--json", "--store", store_url])
    assert shown.exit_code == 0, shown.output
    assert len(json.loads(shown.output)["turns"]) == turns
    scenario = runner.invoke(cli, ["scenario", call_id, "--store", store_url])
    assert scenario.exit_code == 0, scenario.output
    assert json.loads(scenario.output)["agent"]["voice"]["platform"] == platform.value
    (trace_id,) = json.loads(shown.output)["trace_ids"]
    tree = runner.invoke(cli, ["trace", trace_id, "--store", store_url])
    assert tree.exit_code == 0 and "voice.call" in tree.output


@pytest.mark.parametrize(("bucket", "vapi_reason", "retell_reason"), BUCKET_REASONS)
def test_one_call_per_end_reason_bucket_arrives_through_each_webhook(
    bucket: str, vapi_reason: str, retell_reason: str, open_receiver: Receiver
) -> None:
    vapi = vapi_report(f"vapi-{bucket}", vapi_reason)
    retell = retell_webhook(f"retell-{bucket}", retell_reason)
    assert _post(open_receiver, "vapi", json.dumps(vapi).encode()).status == 200
    assert _post(open_receiver, "retell", json.dumps(retell).encode()).status == 200
    for document, reason in ((vapi, vapi_reason), (retell, retell_reason)):
        root = _root_attributes(open_receiver, document)
        assert root[VoiceCall.END_REASON] == reason
        assert root[VoiceCall.END_REASON_BUCKET] == bucket


def test_a_call_delivered_again_is_stored_once(open_receiver: Receiver) -> None:
    ended = retell_webhook("retell-twice", "user_hangup", event="call_ended")
    analyzed = retell_webhook("retell-twice", "user_hangup", event="call_analyzed")
    for document in (ended, analyzed, ended):
        assert _post(open_receiver, "retell", json.dumps(document).encode()).status == 200
    trace_id = call_spans(record_of(ended))[0].trace_id
    for store in opened_store(open_receiver.store.url):
        assert len(store.get_spans([trace_id])) == 3  # root, one turn, one model call
    assert _root_attributes(open_receiver, ended)[VoiceCall.SOURCE] == "retell.call_ended"


@pytest.mark.parametrize(
    ("platform", "body", "status", "message"),
    [
        ("vapi", b"{not json", 400, "the body is not JSON"),
        ("vapi", b'{"resourceSpans": []}', 400, "not a vapi webhook body"),
        ("vapi", json.dumps(retell_webhook("x", "user_hangup")).encode(), 400, "not a vapi"),
        ("retell", json.dumps(vapi_report("x", "voicemail")).encode(), 400, "not a retell"),
        (
            "vapi",
            b'{"message": {"type": "end-of-call-report", "call": {}}}',
            400,
            "the Vapi call has no id",
        ),
        (
            "retell",
            b'{"event": "call_ended", "call": {"call_id": "x"}}',
            400,
            "not a Retell call: no call_id or no call fields",
        ),
    ],
)
def test_a_bad_body_is_answered_400_with_the_reason(
    platform: str, body: bytes, status: int, message: str, open_receiver: Receiver
) -> None:
    answer = _post(open_receiver, platform, body)
    assert answer.status == status
    assert message in _answer(answer)["error"]


@pytest.mark.parametrize(
    ("platform", "document"),
    [
        ("vapi", {"message": {"type": "status-update", "status": "in-progress"}}),
        ("vapi", {"message": {"type": "transcript", "transcript": "hi"}}),
        ("retell", retell_webhook("started", None, event="call_started")),
    ],
)
def test_an_event_without_a_finished_call_is_acknowledged_and_not_stored(
    platform: str, document: dict[str, Any], open_receiver: Receiver
) -> None:
    answer = _post(open_receiver, platform, json.dumps(document).encode())
    assert answer.status == 200
    assert _answer(answer)["stored"] is False


def test_signed_vapi_webhooks_are_stored_and_others_refused(signed_receiver: Receiver) -> None:
    body = VAPI_BARGE_IN.read_bytes()
    refused = [
        _post(signed_receiver, "vapi", body),
        _post(signed_receiver, "vapi", body, {"x-vapi-signature": sign_vapi(body, "guess")}),
        _post(signed_receiver, "vapi", body, {"x-vapi-secret": "guess"}),
    ]
    assert [a.status for a in refused] == [401, 401, 401]
    assert "does not match the body" in _answer(refused[1])["error"]
    for store in opened_store(signed_receiver.store.url):
        assert store.list_sessions() == []
    accepted = _post(
        signed_receiver, "vapi", body, {"x-vapi-signature": sign_vapi(body, VAPI_SECRET)}
    )
    assert accepted.status == 200 and _answer(accepted)["stored"] is True
    legacy = _post(
        signed_receiver,
        "vapi",
        json.dumps(vapi_report("legacy-secret", "voicemail")).encode(),
        {"X-Vapi-Secret": VAPI_SECRET},
    )
    assert legacy.status == 200


def test_signed_retell_webhooks_are_stored_and_stale_or_forged_ones_refused(
    signed_receiver: Receiver,
) -> None:
    body = RETELL_TOOLS.read_bytes()
    now = round(time.time() * 1000)
    stale = sign_retell(body, RETELL_KEY, now - 10 * 60 * 1000)
    forged = sign_retell(body, "key_guess", now)
    for signature in (stale, forged):
        answer = _post(signed_receiver, "retell", body, {"X-Retell-Signature": signature})
        assert answer.status == 401
    answer = _post(
        signed_receiver, "retell", body, {"X-Retell-Signature": sign_retell(body, RETELL_KEY, now)}
    )
    assert answer.status == 200
    assert _answer(answer)["call_id"] == "call_synth_retell_tools"


@pytest.fixture(scope="module")
def token_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """A bearer token and a Retell key, no Vapi secret."""
    secrets = WebhookSecrets(retell_api_key=RETELL_KEY)
    yield from module_receiver(
        tmp_path_factory, "token-webhooks", grpc=None, auth_token="tok-1", webhook_secrets=secrets
    )


def test_without_a_platform_secret_the_bearer_token_guards_its_route(
    token_receiver: Receiver,
) -> None:
    body = json.dumps(vapi_report("token-call", "customer-ended-call")).encode()
    assert _post(token_receiver, "vapi", body).status == 401
    bearer = {"Authorization": "Bearer tok-1"}
    assert _post(token_receiver, "vapi", body, bearer).status == 200
    # The Retell route has Retell's key: it wants Retell's signature, not the token.
    retell = json.dumps(retell_webhook("token-retell", "agent_hangup")).encode()
    assert _post(token_receiver, "retell", retell, bearer).status == 401


def test_serve_takes_the_webhook_secrets_from_its_options_and_the_environment() -> None:
    body = json.dumps(vapi_report("served-call", "customer-ended-call")).encode()
    retell = json.dumps(retell_webhook("served-retell", "agent_hangup")).encode()
    args = ["--grpc", "none", "--http", "127.0.0.1:0", "--store", "sqlite:///:memory:"]
    with running_serve(
        *args, "--vapi-secret", VAPI_SECRET, env={"RETELL_API_KEY": RETELL_KEY}
    ) as server:
        port = server.port("HTTP")
        vapi_path, retell_path = "/v1/webhooks/vapi", "/v1/webhooks/retell"
        assert post_http(port, body, content_type=JSON, path=vapi_path).status == 401
        signed_vapi = {"x-vapi-signature": sign_vapi(body, VAPI_SECRET)}
        answer = post_http(port, body, content_type=JSON, path=vapi_path, headers=signed_vapi)
        assert answer.status == 200, answer.body
        assert post_http(port, retell, content_type=JSON, path=retell_path).status == 401
        signed = {"x-retell-signature": sign_retell(retell, RETELL_KEY, round(time.time() * 1000))}
        answer = post_http(port, retell, content_type=JSON, path=retell_path, headers=signed)
        assert answer.status == 200, answer.body
        assert server.terminate_and_wait(30) == 0
        # Each call is a root, one turn and one model call: the summary counts both.
        assert "6 spans and 0 log records stored" in server.remaining_stdout()[-1]
