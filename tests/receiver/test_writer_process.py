"""Committing from a child process (`serve --writer process`, the default), on SQLite and
PostgreSQL: the same rows as the receiver's own writer thread, the same answers for refused
data, a retryable answer when the child dies (and a new child for the next request), and no
child left behind by a receiver that stops or is killed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import grpc
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Receiver
from otel_replay.store import open_store
from otel_replay.store.writer_process import can_write_apart
from tests.builders import SECOND, make_span
from tests.receiver.clients import call_grpc, post_http
from tests.receiver.conftest import grpc_port, http_port, loopback_config
from tests.receiver.serve_process import free_port, process_tree, running_serve
from tests.receiver.test_poison_data import _refuse_spans_named_poison
from tests.waiting import wait_until

TraceResponse = trace_service_pb2.ExportTraceServiceResponse


def _writer_children(pid: int) -> list[int]:
    """The store writer processes among a process's descendants."""
    found = []
    for child in process_tree(pid)[1:]:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"otel_replay.store.writer_process" in command:
            found.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _request(trace: int, names: list[str], session: str = "s-1") -> bytes:
    spans = [
        make_span(
            trace,
            n,
            None if n == 1 else 1,
            name=name,
            start=n * SECOND,
            attributes={"session.id": session} if n == 1 else {},
        )
        for n, name in enumerate(names, 1)
    ]
    return spans_to_request(spans).SerializeToString()


def test_the_writer_process_stores_what_the_writer_thread_stores(
    store_url: str, tmp_path: Path
) -> None:
    thread_url = f"sqlite:///{tmp_path / 'thread.db'}"
    summaries = []
    for url, apart in ((store_url, True), (thread_url, False)):
        receiver = Receiver(loopback_config(url, writer_process=apart))
        try:
            assert bool(_writer_children(os.getpid())) is apart
            for trace in range(1, 4):
                body = _request(trace, ["agent", "chat", "tool"], session=f"s-{trace % 2}")
                assert call_grpc(grpc_port(receiver), body).code is grpc.StatusCode.OK
                assert post_http(http_port(receiver), _request(trace + 10, ["a"])).status == 200
        finally:
            receiver.stop()
        store = open_store(url)
        try:
            traces = store.list_traces(limit=100)
            spans = store.get_spans([t.trace_id for t in traces])
            summaries.append(
                (
                    [(t.trace_id, t.session_id, t.span_count, t.root_name) for t in traces],
                    sorted((s.trace_id, s.span_id, s.name, s.start_time_unix_nano) for s in spans),
                )
            )
        finally:
            store.close()
    assert summaries[0] == summaries[1]
    assert len(summaries[0][1]) == 3 * 3 + 3


def test_rows_the_database_refuses_are_rejected_through_the_writer_process(
    store_url: str,
) -> None:
    refusing = open_store(store_url)
    _refuse_spans_named_poison(refusing)
    receiver = Receiver(loopback_config(store_url, writer_process=True))
    try:
        assert _writer_children(os.getpid())
        names = ["agent", "poison", "chat", "tool", "poison"]
        answer = call_grpc(grpc_port(receiver), _request(7, names))
        assert answer.code is grpc.StatusCode.OK
        partial = TraceResponse.FromString(answer.body).partial_success
        assert partial.rejected_spans == 2
        assert partial.error_message.startswith("2 span(s) rejected: the store refused them (")
        stored = sorted(s.name for s in refusing.get_spans([f"{7:032x}"]))
        assert stored == ["agent", "chat", "tool"]
    finally:
        receiver.stop()
        refusing.close()


def test_a_writer_process_that_dies_is_answered_retryable_then_replaced(sqlite_url: str) -> None:
    receiver = Receiver(loopback_config(sqlite_url, writer_process=True))
    try:
        assert call_grpc(grpc_port(receiver), _request(1, ["a"])).code is grpc.StatusCode.OK
        (child,) = _writer_children(os.getpid())
        os.kill(child, signal.SIGKILL)
        wait_until(lambda: not _alive(child), "the killed writer process to end")
        answer = call_grpc(grpc_port(receiver), _request(2, ["b"]))
        assert answer.code is grpc.StatusCode.UNAVAILABLE  # the exporter sends it again
        assert receiver.ingestor.counters["errors_internal"] == 0
        assert post_http(http_port(receiver), _request(2, ["b"])).status == 200
        assert call_grpc(grpc_port(receiver), _request(3, ["c"])).code is grpc.StatusCode.OK
        (replacement,) = _writer_children(os.getpid())
        assert replacement != child
    finally:
        receiver.stop()
    assert not _writer_children(os.getpid())  # stopping the receiver ended its child
    store = open_store(sqlite_url)
    try:
        assert sorted(t.root_name or "" for t in store.list_traces()) == ["a", "b", "c"]
    finally:
        store.close()


def test_the_writer_process_ends_when_its_receiver_is_killed(sqlite_url: str) -> None:
    with running_serve(
        "--grpc", f"127.0.0.1:{free_port()}", "--http", "none", "--store", sqlite_url
    ) as server:
        assert call_grpc(server.port("gRPC"), _request(1, ["a"])).code is grpc.StatusCode.OK
        (child,) = _writer_children(server.proc.pid)
        server.kill_hard()
    # Its stdin closed with the receiver: it exits by itself (an orphan is nobody's to reap,
    # so it is gone rather than a zombie of ours).
    wait_until(lambda: not _alive(child), "the orphaned writer process to exit")


def test_serve_can_commit_from_its_own_thread(sqlite_url: str) -> None:
    args = ["--grpc", f"127.0.0.1:{free_port()}", "--http", "none", "--store", sqlite_url]
    with running_serve(*args, "--writer", "thread") as server:
        assert call_grpc(server.port("gRPC"), _request(1, ["a"])).code is grpc.StatusCode.OK
        assert not _writer_children(server.proc.pid)
        assert server.terminate_and_wait(timeout=30) == 0


@pytest.mark.parametrize(
    ("url", "apart"),
    [("sqlite:///:memory:", False), ("sqlite:///x.db", True), ("postgresql://h/db", True)],
)
def test_only_a_store_another_process_can_reach_is_written_apart(url: str, apart: bool) -> None:
    assert can_write_apart(url) is apart


def test_a_request_larger_than_one_message_and_log_records_are_written_whole(
    sqlite_url: str,
) -> None:
    # 9,000 spans travel to the writer in three messages (store/writer_process.py), then commit
    # in one transaction.
    names = ["agent", *(f"tool-{n}" for n in range(8999))]
    logs = logs_service_pb2.ExportLogsServiceRequest()
    records = logs.resource_logs.add().scope_logs.add().log_records
    for n in range(3):
        record = records.add(time_unix_nano=n + 1, event_name="gen_ai.choice")
        record.body.string_value = f"log {n}"
        record.trace_id, record.span_id = (40).to_bytes(16, "big"), (1).to_bytes(8, "big")
    receiver = Receiver(loopback_config(sqlite_url, writer_process=True))
    try:
        assert _writer_children(os.getpid())
        answer = call_grpc(grpc_port(receiver), _request(40, names), timeout=60)
        assert answer.code is grpc.StatusCode.OK
        assert not TraceResponse.FromString(answer.body).HasField("partial_success")
        logs_answer = post_http(http_port(receiver), logs.SerializeToString(), path="/v1/logs")
        assert logs_answer.status == 200
    finally:
        receiver.stop()
    store = open_store(sqlite_url)
    try:
        (trace,) = store.list_traces()
        assert (trace.span_count, trace.root_name, trace.session_id) == (9000, "agent", "s-1")
        assert len(store.get_spans([trace.trace_id])) == 9000
        texts = [r.body for r in store.get_log_records([trace.trace_id])]
        assert texts == ["log 0", "log 1", "log 2"]
    finally:
        store.close()


def test_the_writer_process_imports_the_receivers_own_copy_of_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import otel_replay
    from otel_replay.store.writer_process import _child_environment

    root = str(Path(otel_replay.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    assert _child_environment()["PYTHONPATH"].split(os.pathsep) == [root, "/elsewhere"]
    monkeypatch.delenv("PYTHONPATH")
    assert _child_environment()["PYTHONPATH"] == root


def test_a_write_reaches_the_writer_process_as_it_was_given() -> None:
    import pickle

    from otel_replay.semconv.identity import Identity, Ranked
    from otel_replay.store.rows import LogBatch, SpanBatch
    from otel_replay.store.writer_process import _messages, _pickled, _Received
    from tests.builders import batch_of

    big = batch_of(*(make_span(50, n, None if n == 1 else 1) for n in range(1, 5001)))
    big.identities = {f"{50:032x}": Identity(Ranked(0, "s-50"), Ranked(2, "u-7"))}
    small = batch_of(make_span(51, 1, attributes={"session.id": "s-51"}))
    received = _Received()
    commits = []
    for parts, commit in _messages([big, small], [LogBatch()]):
        received.add(pickle.loads(_pickled((parts, commit)))[0])
        commits.append(commit)
    assert commits == [False, True]  # 5,001 rows: two messages, the last one commits
    assert received.spans == [big, small]
    assert isinstance(received.spans[0].identities[f"{50:032x}"].user, Ranked)
    assert received.logs == [LogBatch()]
    assert all(isinstance(b, SpanBatch) for b in received.spans)
