from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from otel_replay.core.runs import Score
from otel_replay.evals import evaluate_run
from otel_replay.evals.embeddings import measure_cosine
from otel_replay.scenario.model import Expectation
from tests.evals.runs import IN_TRANSIT, REFUNDED, one_turn_run, side

DIMENSIONS = 64


def embed(text: str) -> list[float]:
    """A deterministic bag-of-words vector: each word adds 1 to a hashed dimension."""
    vector = [0.0] * DIMENSIONS
    for word in text.lower().replace(".", " ").replace(",", " ").split():
        vector[zlib.crc32(word.encode()) % DIMENSIONS] += 1.0
    return vector


class FakeEmbeddings(ThreadingHTTPServer):
    """`POST /v1/embeddings` on 127.0.0.1, answering `embed(text)` for every input."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[dict[str, str], Any]] = []
        self.answer_status = 200

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeEmbeddings

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
        if self.path != "/v1/embeddings" or self.server.answer_status != 200:
            payload: Any = {"error": {"message": "no such model"}}
            status = 404 if self.path != "/v1/embeddings" else self.server.answer_status
        else:
            data = [
                {"object": "embedding", "index": i, "embedding": embed(text)}
                for i, text in enumerate(body["input"])
            ]
            payload, status = {"object": "list", "data": data, "model": body["model"]}, 200
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def server() -> Iterator[FakeEmbeddings]:
    fake = FakeEmbeddings()
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.shutdown()
        fake.server_close()
        thread.join()


def score(replayed: str, **args: Any) -> Score:
    run = one_turn_run(side(IN_TRANSIT), side(replayed))
    scores = evaluate_run(
        run, [Expectation(evaluator="reply_similarity", args={"method": "embeddings", **args})]
    )
    assert len(scores) == 1
    return scores[0]


def test_embeddings_similarity_is_the_cosine_from_the_endpoint(
    server: FakeEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_REPLAY_EVALS_API_KEY", "sk-test")
    expected = measure_cosine(embed(IN_TRANSIT), embed(REFUNDED))

    same = score(IN_TRANSIT, endpoint=server.base_url, model="tiny-embed")
    other = score(REFUNDED, endpoint=server.base_url, threshold=0.5)

    assert (same.passed, same.value) == (True, pytest.approx(1.0))
    assert same.detail == "reply similarity 1.00 >= threshold 0.80 (embeddings)"
    assert other.value == pytest.approx(expected)
    assert other.passed is (expected >= 0.5)
    headers, body = server.requests[0]
    assert body == {"model": "tiny-embed", "input": [IN_TRANSIT, IN_TRANSIT]}
    assert headers["authorization"] == "Bearer sk-test"
    assert server.requests[1][1]["model"] == "text-embedding-3-small"


def test_full_embeddings_address_is_taken_as_is(server: FakeEmbeddings) -> None:
    assert score(IN_TRANSIT, endpoint=f"{server.base_url}/embeddings").passed


def test_endpoint_errors_fail_the_check_naming_the_endpoint(server: FakeEmbeddings) -> None:
    server.answer_status = 500
    url = f"{server.base_url}/embeddings"

    failed = score(IN_TRANSIT, endpoint=server.base_url)

    assert (failed.passed, failed.value) == (False, None)
    assert failed.detail.startswith(f"embeddings failed: {url} answered HTTP 500: ")


def test_unreachable_endpoint_fails_the_check(server: FakeEmbeddings) -> None:
    url = server.base_url
    server.shutdown()
    server.server_close()

    failed = score(IN_TRANSIT, endpoint=url)

    assert not failed.passed
    assert failed.detail.startswith(f"embeddings failed: {url}/embeddings did not answer: ")


def test_cosine() -> None:
    assert measure_cosine([1.0, 0.0], [0.0, 2.0]) == 0.0
    assert measure_cosine([1.0, 1.0], [2.0, 2.0]) == pytest.approx(1.0)
    assert measure_cosine([0.0, 0.0], [1.0, 0.0]) == 0.0
