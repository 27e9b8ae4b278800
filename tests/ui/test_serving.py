"""Serving the UI: `serve --ui` on the OTLP/HTTP port beside untouched OTLP paths, the
token (header, cookie from `?token=`), loopback-only Host names, same-origin form posts, and
the CLI's refusal of an open address."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from otel_replay.cli.main import cli
from otel_replay.receiver.serve import Endpoint, Receiver, ServeConfig
from otel_replay.ui.embed import EmbeddedUi

TOKEN = "s3cret-token"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def _request(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    finally:
        connection.close()


def _serve(store_url: str, token: str | None) -> Iterator[Receiver]:
    http = Endpoint("127.0.0.1", 0)
    embedded = EmbeddedUi(store_url, http, token, tls=False)
    config = ServeConfig(
        grpc=None, http=http, store_url=store_url, auth_token=token, http_fallback=embedded.bridge
    )
    receiver = Receiver(config)
    try:
        yield receiver
    finally:
        receiver.stop()
        embedded.close()


@pytest.fixture(scope="module")
def open_port(support_store_url: str) -> Iterator[int]:
    for receiver in _serve(support_store_url, None):
        assert receiver.http_endpoint is not None
        yield receiver.http_endpoint.port


@pytest.fixture(scope="module")
def token_port(support_store_url: str) -> Iterator[int]:
    for receiver in _serve(support_store_url, TOKEN):
        assert receiver.http_endpoint is not None
        yield receiver.http_endpoint.port


def test_serve_ui_answers_pages_beside_the_untouched_otlp_paths(open_port: int) -> None:
    page = _request(open_port, "GET", "/sessions")
    assert page.status == 200 and "support-session-003" in page.body
    assert "default-src 'self'" in page.headers["content-security-policy"]
    export = _request(open_port, "POST", "/v1/traces", b"{}", {"Content-Type": "application/json"})
    assert export.status == 200 and export.headers["content-type"] == "application/json"
    assert _request(open_port, "GET", "/v1/traces").status == 405
    assert _request(open_port, "GET", "/static/ui.js").status == 200


def test_a_loopback_ui_without_token_refuses_other_host_names(open_port: int) -> None:
    assert (
        _request(open_port, "GET", "/sessions", headers={"Host": "rebound.example"}).status == 421
    )


def test_form_posts_need_the_pages_csrf_token_and_their_own_origin(open_port: int) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    stale = _request(open_port, "POST", "/prune", b"older_than=1d&csrf=guess", form)
    assert stale.status == 403
    page = _request(open_port, "GET", "/sessions").body
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    body = f"older_than=1d&csrf={csrf[1]}".encode()
    foreign = _request(open_port, "POST", "/prune", body, {**form, "Origin": "http://evil.example"})
    assert foreign.status == 403
    # A prune of sessions older than 520 weeks deletes nothing of today's store.
    body = f"older_than=520w&csrf={csrf[1]}".encode()
    pruned = _request(open_port, "POST", "/prune", body, form)
    assert pruned.status == 303 and "pruned+0+session" in pruned.headers["location"]


def test_the_token_comes_once_in_the_address_then_as_a_cookie(token_port: int) -> None:
    assert _request(token_port, "GET", "/sessions").status == 401
    assert _request(token_port, "GET", "/sessions?token=wrong").status == 401
    entry = _request(token_port, "GET", f"/sessions?token={TOKEN}&q=lamp")
    assert entry.status == 303 and entry.headers["location"] == "/sessions?q=lamp"
    cookie = entry.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    with_cookie = _request(token_port, "GET", "/sessions", headers={"Cookie": cookie.split(";")[0]})
    assert with_cookie.status == 200
    bearer = {"Authorization": f"Bearer {TOKEN}", "Host": "anywhere.example"}
    assert _request(token_port, "GET", "/runs", headers=bearer).status == 200


def test_ui_refuses_an_address_beyond_loopback_without_token_or_tls() -> None:
    result = CliRunner().invoke(cli, ["ui", "--listen", "0.0.0.0:0", "--store", "sqlite:///x.db"])
    assert result.exit_code == 2
    assert "requires --auth-token or TLS" in result.output


def test_otel_replay_ui_serves_until_terminated(support_store_url: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_replay", "ui", "--listen", "127.0.0.1:0"],
        env={**os.environ, "OTEL_REPLAY_STORE": support_store_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/sessions", line)
        assert found is not None, line
        page = _request(int(found[1]), "GET", "/sessions?q=lamp")
        assert page.status == 200 and 'data-session="support-session-003"' in page.body
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def test_approve_writes_only_inside_the_cases_folder(open_port: int) -> None:
    page = _request(open_port, "GET", "/sessions").body
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    body = f"id=any-run&case=../../etc&csrf={csrf[1]}".encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = _request(open_port, "POST", "/run/approve", body, form)
    assert answer.status == 400 and "is not inside" in answer.body
