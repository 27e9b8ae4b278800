"""Poison data over real gRPC and HTTP, on SQLite and PostgreSQL: text PostgreSQL cannot store
as given is stored normalised; rows the database refuses are rejected one by one as an OTLP
partial success; a bad request never fails the requests committed with it; re-sends change
nothing."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.core.records import AnyValue
from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.store.normalise import REPLACEMENT, bound_key
from tests.builders import SECOND, make_span
from tests.receiver.clients import JSON, PROTOBUF, call_grpc, otlp_json, post_http
from tests.receiver.conftest import grpc_port, http_port, loopback_config
from tests.receiver.stores import HeldStore
from tests.waiting import wait_until

TraceResponse = trace_service_pb2.ExportTraceServiceResponse
LONG_SESSION = os.urandom(2000).hex()  # random: no compression fits it in an index row


def _send_grpc(receiver: Receiver, body: trace_service_pb2.ExportTraceServiceRequest) -> object:
    answer = call_grpc(grpc_port(receiver), body.SerializeToString())
    assert answer.code is grpc.StatusCode.OK, (answer.code, answer.details)
    return TraceResponse.FromString(answer.body)


def _send_http_protobuf(
    receiver: Receiver, body: trace_service_pb2.ExportTraceServiceRequest
) -> object:
    answer = post_http(http_port(receiver), body.SerializeToString(), content_type=PROTOBUF)
    assert answer.status == 200, (answer.status, answer.body[:200])
    return TraceResponse.FromString(answer.body)


def _send_http_json(
    receiver: Receiver, body: trace_service_pb2.ExportTraceServiceRequest
) -> object:
    answer = post_http(http_port(receiver), otlp_json(body), content_type=JSON)
    assert answer.status == 200, (answer.status, answer.body[:200])
    return json_format.Parse(answer.body, TraceResponse())


SENDERS: dict[str, Callable[[Receiver, trace_service_pb2.ExportTraceServiceRequest], object]] = {
    "grpc": _send_grpc,
    "http-protobuf": _send_http_protobuf,
    "http-json": _send_http_json,
}


@dataclass(frozen=True)
class Poison:
    name: str = "step"
    service: str = "svc"
    session: str = "s-1"

    def stored_session(self) -> str:
        return bound_key(self.session.replace("\x00", REPLACEMENT))


POISONS = {
    "nul in span name": Poison(name="chat\x00completion"),
    "nul in session id": Poison(session="sess\x00ion"),
    "nul in service name": Poison(service="svc\x00x"),
    "over-long session id": Poison(session=LONG_SESSION),
}


@pytest.mark.parametrize("transport", SENDERS)
def test_poison_text_is_stored_normalised_and_answered_as_full_success(
    receiver: Receiver, transport: str
) -> None:
    send = SENDERS[transport]
    for number, (label, poison) in enumerate(POISONS.items(), 1):
        attributes: dict[str, AnyValue] = {"session.id": poison.session}
        bad = make_span(number, 1, name=poison.name, service=poison.service, attributes=attributes)
        good = make_span(number, 2, 1, name="tool", start=SECOND)
        response = send(receiver, spans_to_request([bad, good]))
        assert not response.HasField("partial_success"), label  # type: ignore[attr-defined]
        trace = receiver.store.get_trace(f"{number:032x}")
        assert trace is not None, label
        assert trace.span_count == 2, label
        assert trace.session_id == poison.stored_session(), label
        assert trace.root_name == poison.name.replace("\x00", REPLACEMENT), label
        assert trace.service_name == poison.service.replace("\x00", REPLACEMENT), label
        stored = {s.span_id: s for s in receiver.store.get_spans([trace.trace_id])}
        assert stored[f"{1:016x}"].name == poison.name, label  # exact in the span message
    counters = receiver.ingestor.counters
    assert counters["spans_accepted"] == 2 * len(POISONS)
    assert counters["errors_internal"] == counters["errors_store_unavailable"] == 0


def _refuse_spans_named_poison(store: SqlSpanStore) -> None:
    """A real database constraint: the database itself refuses spans named `poison`."""
    statement = (
        "ALTER TABLE spans ADD CONSTRAINT refuse_poison CHECK (name <> 'poison')"
        if store.url.startswith("postgres")
        else "CREATE TRIGGER refuse_poison BEFORE INSERT ON spans WHEN NEW.name = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with store._transaction() as conn:
        conn.execute(statement)


@pytest.fixture
def refusing_store(store_url: str) -> Iterator[SqlSpanStore]:
    opened = open_store(store_url)
    _refuse_spans_named_poison(opened)
    yield opened
    opened.close()


def _request(trace: int, names: list[str]) -> trace_service_pb2.ExportTraceServiceRequest:
    spans = [
        make_span(trace, n, None if n == 1 else 1, name=name) for n, name in enumerate(names, 1)
    ]
    return spans_to_request(spans)


def test_rows_the_database_refuses_are_rejected_one_by_one_and_the_rest_stored(
    refusing_store: SqlSpanStore,
) -> None:
    receiver = Receiver(loopback_config(refusing_store.url), store=refusing_store)
    names = ["agent", "poison", *(f"tool-{n}" for n in range(9)), "poison"]
    try:
        for trace, send in enumerate(SENDERS.values(), 1):
            response = send(receiver, _request(trace, names))
            partial = response.partial_success  # type: ignore[attr-defined]
            assert partial.rejected_spans == 2
            assert partial.error_message.startswith("2 span(s) rejected: the store refused them (")
            assert "poison" not in partial.error_message  # names the fault, never the data
            stored = sorted(s.name for s in refusing_store.get_spans([f"{trace:032x}"]))
            assert stored == sorted(n for n in names if n != "poison")
            summary = refusing_store.get_trace(f"{trace:032x}")
            assert summary is not None and summary.span_count == len(names) - 2
        assert receiver.ingestor.counters["spans_rejected"] == 2 * len(SENDERS)
    finally:
        receiver.stop()


def test_a_refused_request_never_fails_the_requests_committed_with_it(
    refusing_store: SqlSpanStore,
) -> None:
    held = HeldStore(refusing_store)
    receiver = Receiver(loopback_config(refusing_store.url), store=held)  # type: ignore[arg-type]
    goods = 8
    try:
        with ThreadPoolExecutor(goods + 2) as pool:
            first = pool.submit(_send_grpc, receiver, _request(100, ["first"]))
            wait_until(held.writing.is_set, "the first write is held")
            # Sent while the writer is held: these queue up and are committed as one group.
            poisoned = pool.submit(_send_http_protobuf, receiver, _request(200, ["poison", "x"]))
            good = [
                pool.submit(
                    SENDERS[("grpc", "http-protobuf", "http-json")[n % 3]],
                    receiver,
                    _request(300 + n, ["ok", "ok-child"]),
                )
                for n in range(goods)
            ]
            wait_until(
                lambda: receiver.ingestor._pending_items == 1 + 2 + 2 * goods,
                "every request waits for the writer",
            )
            held.released.set()
            assert not first.result(30).HasField("partial_success")
            for answer in good:
                assert not answer.result(30).HasField("partial_success")
            assert poisoned.result(30).partial_success.rejected_spans == 1
        assert refusing_store.counts().spans == 1 + 1 + 2 * goods
        assert receiver.ingestor.counters["errors_store_unavailable"] == 0
    finally:
        held.released.set()
        receiver.stop()


def test_re_sent_spans_with_other_content_leave_the_stored_trace_as_it_was(
    receiver: Receiver,
) -> None:
    for trace, send in enumerate(SENDERS.values(), 1):
        root = make_span(trace, 1, name="agent", attributes={"session.id": f"s-{trace}"})
        child = make_span(trace, 2, 1, name="chat", start=SECOND)
        send(receiver, spans_to_request([root, child]))
        before = receiver.store.get_trace(f"{trace:032x}")
        forged = [
            make_span(trace, 1, name="x", duration=2**62, attributes={"session.id": "forged"}),
            make_span(
                trace, 2, name="y", start=-SECOND, attributes={"gen_ai.conversation.id": "f"}
            ),
        ]
        response = send(receiver, spans_to_request(forged))
        assert not response.HasField("partial_success")  # type: ignore[attr-defined]
        assert receiver.store.get_trace(f"{trace:032x}") == before
        names = sorted(s.name for s in receiver.store.get_spans([f"{trace:032x}"]))
        assert names == ["agent", "chat"]
    sessions = sorted(s.session_id for s in receiver.store.list_sessions())
    assert sessions == [f"s-{n}" for n in range(1, len(SENDERS) + 1)]
