"""Telemetry captured from real framework stacks (capture/, tests/fixtures/captures/) rebuilds
to exactly the conversation in each capture's expected.json, whether it is imported from the
files or received live over OTLP/HTTP (JSON) or OTLP/gRPC (protobuf).

A capture the code does not rebuild yet is a strict xfail whose reason names the failure
class; when a fix lands the test passes, strict xfail turns it red, and the mark comes off.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from otel_replay.app.conversations import load_conversation
from otel_replay.app.sessions import list_sessions
from otel_replay.importer import import_data
from otel_replay.receiver.serve import Endpoint, Receiver, ServeConfig
from otel_replay.semconv.model import Conversation
from otel_replay.session.grouping import GroupBy, GroupingPolicy
from otel_replay.store import open_store
from tests.conftest import FIXTURES
from tests.session.test_semconv_fixtures import _reconstruction as semconv_reconstruction

CAPTURES = FIXTURES / "captures"
NAMES = sorted(p.parent.name for p in CAPTURES.glob("*/expected.json"))
# Keyless captures are one session only when grouped by service, user and idle gap.
KEYLESS_POLICY = GroupingPolicy(GroupBy.SERVICE_USER_GAP)


class Transport(StrEnum):
    IMPORT = "import"
    OTLP_HTTP_JSON = "otlp-http-json"
    OTLP_GRPC = "otlp-grpc"


# Capture -> the failure class it shows today (the same on every transport).
KNOWN_FAILURES: dict[str, str] = {}


# Capture -> how `otel-replay sessions` (list_sessions) miscounts its turns today.
KNOWN_LISTING_FAILURES: dict[str, str] = {}


def _files(name: str) -> tuple[bytes, bytes | None]:
    folder = CAPTURES / name
    logs = folder / "logs.json"
    return (folder / "traces.json").read_bytes(), logs.read_bytes() if logs.exists() else None


def _expected(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CAPTURES / name / "expected.json").read_text())
    return {k: v for k, v in doc.items() if k != "notes"}


def _reconstruction(conversation: Conversation) -> dict[str, Any]:
    """The semconv fixtures' reconstruction, plus each model call's time to first token."""
    rebuilt = semconv_reconstruction(conversation)
    for turn, rebuilt_turn in zip(conversation.turns, rebuilt["turns"], strict=True):
        for call, rebuilt_call in zip(turn.llm_calls, rebuilt_turn["llm_calls"], strict=True):
            rebuilt_call["time_to_first_token_unix_nano"] = call.time_to_first_token_unix_nano
    return rebuilt


def _with_base64_ids(doc: Any) -> Any:
    """OTLP/JSON ids are hex; protobuf's JSON mapping reads bytes fields as base64."""
    if isinstance(doc, list):
        return [_with_base64_ids(item) for item in doc]
    if not isinstance(doc, dict):
        return doc
    return {
        key: base64.b64encode(bytes.fromhex(value)).decode()
        if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str)
        else _with_base64_ids(value)
        for key, value in doc.items()
    }


def _post_json(endpoint: Endpoint, path: str, body: bytes) -> None:
    request = urllib.request.Request(
        f"http://{endpoint}{path}",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def _export_grpc(endpoint: Endpoint, traces: bytes, logs: bytes | None) -> None:
    trace_request = json_format.ParseDict(
        _with_base64_ids(json.loads(traces)), trace_service_pb2.ExportTraceServiceRequest()
    )
    with grpc.insecure_channel(str(endpoint)) as channel:
        trace_service_pb2_grpc.TraceServiceStub(channel).Export(trace_request, timeout=30)
        if logs is not None:
            logs_request = json_format.ParseDict(
                _with_base64_ids(json.loads(logs)), logs_service_pb2.ExportLogsServiceRequest()
            )
            logs_service_pb2_grpc.LogsServiceStub(channel).Export(logs_request, timeout=30)


def _store_capture(name: str, transport: Transport, store_url: str) -> None:
    traces, logs = _files(name)
    if transport is Transport.IMPORT:
        store = open_store(store_url)
        try:
            sources = [("traces.json", traces)] + ([("logs.json", logs)] if logs else [])
            import_data(store, sources)
        finally:
            store.close()
        return
    loopback = Endpoint("127.0.0.1", 0)
    grpc_on = transport is Transport.OTLP_GRPC
    receiver = Receiver(
        ServeConfig(
            grpc=loopback if grpc_on else None,
            http=None if grpc_on else loopback,
            store_url=store_url,
        )
    )
    try:
        if grpc_on:
            assert receiver.grpc_endpoint is not None
            _export_grpc(receiver.grpc_endpoint, traces, logs)
        else:
            assert receiver.http_endpoint is not None
            _post_json(receiver.http_endpoint, "/v1/traces", traces)
            if logs is not None:
                _post_json(receiver.http_endpoint, "/v1/logs", logs)
    finally:
        receiver.stop()  # commits everything received


def _rebuild(name: str, transport: Transport, folder: Path) -> dict[str, Any]:
    store_url = f"sqlite:///{folder / 'store.db'}"
    _store_capture(name, transport, store_url)
    session_id: str = _expected(name)["session_id"]
    store = open_store(store_url)
    try:
        policy = KEYLESS_POLICY if session_id.startswith("group:") else None
        return _reconstruction(load_conversation(store, session_id, policy))
    finally:
        store.close()


def _cases() -> Iterator[Any]:
    for name in NAMES:
        for transport in Transport:
            marks = []
            if name in KNOWN_FAILURES:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
            yield pytest.param(name, transport, marks=marks, id=f"{name}-{transport.value}")


def test_every_capture_folder_holds_traces_expected_and_capture_metadata() -> None:
    folders = sorted(p.name for p in CAPTURES.iterdir() if p.is_dir())
    assert folders == NAMES
    assert set(KNOWN_FAILURES) <= set(NAMES)
    for name in NAMES:
        assert {"traces.json", "exchanges.json", "expected.json", "capture.json"} <= {
            p.name for p in (CAPTURES / name).iterdir()
        }


@pytest.mark.parametrize("name", NAMES)
def test_every_capture_has_two_user_turns_and_parallel_tool_calls_in_one_model_answer(
    name: str,
) -> None:
    exchanges = json.loads((CAPTURES / name / "exchanges.json").read_text())
    first = exchanges[0]["completion"]["choices"][0]["message"]
    assert [call["function"]["name"] for call in first["tool_calls"]] == ["get_weather"] * 2
    turns = _expected(name)["turns"]
    assert len({turn["user"] for turn in turns}) == len(turns) >= 2
    assert [len(turn["tool_calls"]) for turn in turns] == [2, 0]
    assert all(tool["result"] is not None for tool in turns[0]["tool_calls"])


@pytest.mark.parametrize(("name", "transport"), list(_cases()))
def test_capture_rebuilds_to_its_expected_conversation(
    name: str, transport: Transport, tmp_path: Path
) -> None:
    assert _rebuild(name, transport, tmp_path) == _expected(name)


def _listing_cases() -> Iterator[Any]:
    for name in NAMES:
        marks = []
        if name in KNOWN_LISTING_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_LISTING_FAILURES[name]))
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_listing_cases()))
def test_session_listing_shows_the_capture_as_one_session_with_its_turns_and_traces(
    name: str, tmp_path: Path
) -> None:
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    _store_capture(name, Transport.IMPORT, store_url)
    expected = _expected(name)
    policy = KEYLESS_POLICY if expected["session_id"].startswith("group:") else None
    store = open_store(store_url)
    try:
        summaries = list_sessions(store, policy=policy)
    finally:
        store.close()
    assert [(s.session_id, s.trace_count, s.turn_count) for s in summaries] == [
        (expected["session_id"], expected["traces"], len(expected["turns"]))
    ]
