"""Log records keep their arrival order in the store.

Node's OpenTelemetry stamps log records to the millisecond, so every message event of one model
call shares a timestamp. The store keeps each record's arrival position (request after request,
resource -> scope -> record within one), and reads records back by time, then arrival: a
history built from log events comes back in the order it was sent, not in the order of the
records' content hashes.
"""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.logs.v1 import logs_pb2

from otel_replay.app.conversations import load_conversation
from otel_replay.core.records import AnyValue
from otel_replay.otlp.decode import Encoding, decode_logs_request
from otel_replay.receiver.serve import Endpoint, Receiver, ServeConfig
from otel_replay.semconv.model import Message
from otel_replay.store import SqlSpanStore, open_store
from otel_replay.store.dialect import Connection, parse_store_url
from otel_replay.store.migrations import MIGRATIONS
from otel_replay.store.rows import LogRow, build_log_batch
from otel_replay.store.statements import build_write_statements
from tests.builders import T0, batch_of, make_span
from tests.conftest import FIXTURES

TRACE_ID = bytes.fromhex("ab" * 16)
SPAN_ID = bytes.fromhex("cd" * 8)
NODE_OPENAI = FIXTURES / "captures" / "node-openai"


def _record(text: str, time_unix_nano: int = T0) -> logs_pb2.LogRecord:
    record = logs_pb2.LogRecord(
        time_unix_nano=time_unix_nano, trace_id=TRACE_ID, span_id=SPAN_ID, event_name="message"
    )
    record.body.string_value = text
    return record


def _request(*records: logs_pb2.LogRecord) -> logs_service_pb2.ExportLogsServiceRequest:
    request = logs_service_pb2.ExportLogsServiceRequest()
    scope_logs = request.resource_logs.add().scope_logs.add()
    scope_logs.scope.name = "tests"
    scope_logs.log_records.extend(records)
    return request


def _keys(*records: logs_pb2.LogRecord) -> list[str]:
    """The content keys the store gives these records (sent as one request)."""
    return [row.record_key for row in build_log_batch(_request(*records)).logs]


def _against_hash_order(texts: list[str]) -> list[logs_pb2.LogRecord]:
    """Records of these texts at one timestamp, in the reverse of their content-key order."""
    records = [_record(text) for text in texts]
    keys = _keys(*records)
    return [r for _, r in sorted(zip(keys, records, strict=True), key=lambda p: p[0], reverse=True)]


def _bodies(store: SqlSpanStore) -> list[AnyValue]:
    return [record.body for record in store.get_log_records([TRACE_ID.hex()])]


def test_records_sharing_a_timestamp_come_back_in_the_order_they_were_sent(
    store: SqlSpanStore,
) -> None:
    records = _against_hash_order([f"message {i}" for i in range(6)])
    sent = [r.body.string_value for r in records]
    assert sent != sorted(sent, key=lambda text: _keys(_record(text))[0])
    store.write([], [build_log_batch(_request(*records))])
    assert _bodies(store) == sent


def test_time_orders_before_arrival(store: SqlSpanStore) -> None:
    later, earlier = _record("later", T0 + 1_000_000), _record("earlier", T0)
    store.write([], [build_log_batch(_request(later, earlier))])
    assert _bodies(store) == ["earlier", "later"]


def test_on_a_tie_the_earlier_request_comes_first_and_a_resend_changes_nothing(
    store: SqlSpanStore,
) -> None:
    first, second = _against_hash_order(["from request one", "from request two"])
    assert _keys(first)[0] > _keys(second)[0]  # hash order would put the second request first
    store.write([], [build_log_batch(_request(first))])
    store.write([], [build_log_batch(_request(second))])
    assert _bodies(store) == ["from request one", "from request two"]
    # A re-sent record (an exporter's retry) keeps its first arrival, whatever came between.
    store.write([], [build_log_batch(_request(first))])
    store.write([], [build_log_batch(_request(second, first))])
    assert _bodies(store) == ["from request one", "from request two"]
    assert store.counts().log_records == 2


def test_requests_written_together_keep_their_order(store: SqlSpanStore) -> None:
    """A receiver commits several requests in one write: each keeps its place."""
    a, b, c, d = _against_hash_order(["a", "b", "c", "d"])
    store.write([], [build_log_batch(_request(a, b)), build_log_batch(_request(c, d))])
    store.write([], [build_log_batch(_request(_record("e")))])
    assert _bodies(store) == [r.body.string_value for r in (a, b, c, d)] + ["e"]


def test_records_keep_their_order_across_resources_and_scopes(store: SqlSpanStore) -> None:
    records = _against_hash_order(["r1 s1", "r1 s2", "r2 s1"])
    request = logs_service_pb2.ExportLogsServiceRequest()
    first = request.resource_logs.add()
    first.scope_logs.add().log_records.append(records[0])
    second_scope = first.scope_logs.add()
    second_scope.scope.name = "second"
    second_scope.log_records.append(records[1])
    second = request.resource_logs.add()
    second.resource.attributes.add(key="service.name").value.string_value = "other"
    second.scope_logs.add().log_records.append(records[2])
    keys = [row.record_key for row in build_log_batch(request).logs]
    assert keys != sorted(keys)
    store.write([], [build_log_batch(request)])
    assert _bodies(store) == [r.body.string_value for r in records]


def test_records_stored_before_arrival_was_kept_keep_their_order_ahead_of_new_ones(
    store_url: str,
) -> None:
    """A store at schema 7 (no arrival column): its records tie at 0 after the migration, so
    they keep today's order (by content key), and every record stored later follows them."""
    old_records = [_record(f"old {i}") for i in range(4)]
    old_batch = build_log_batch(_request(*old_records))
    conn = Connection(parse_store_url(store_url))
    dialect = conn.dialect
    conn.begin()
    conn.execute(dialect.ddl("CREATE TABLE otel_replay_schema (version {int} PRIMARY KEY)"))
    for version, steps in enumerate(MIGRATIONS[:7], start=1):
        for statement in steps:
            conn.execute(dialect.ddl(statement))
        conn.execute(
            f"INSERT INTO otel_replay_schema (version) VALUES ({dialect.placeholder})", (version,)
        )
    conn.executemany(build_write_statements(dialect).insert_scope, old_batch.scopes)
    columns = LogRow._fields[:-1]  # the columns of schema 7
    conn.executemany(
        f"INSERT INTO log_records ({', '.join(columns)}) VALUES ({dialect.params(len(columns))})",
        [row[: len(columns)] for row in old_batch.logs],
    )
    conn.commit()
    conn.close()
    store = open_store(store_url)
    try:
        before = _bodies(store)
        by_key = sorted(old_batch.logs, key=lambda row: row.record_key)
        assert before == [f"old {old_batch.logs.index(row)}" for row in by_key]
        store.write([], [build_log_batch(_request(_record("new")))])
        assert _bodies(store) == [*before, "new"]
    finally:
        store.close()


def test_writers_at_once_each_keep_their_order_without_deadlock(store_url: str) -> None:
    """Receivers sharing one database: trace rows are locked before the arrival counter, so
    writers of spans and log records together never wait on each other in a cycle, and each
    writer's tied records come back in the order it wrote them."""
    writers, rounds = 4, 3
    stores = [open_store(store_url) for _ in range(writers)]

    def write(writer: int) -> None:
        for round_number in range(rounds):
            spans = [make_span(trace, writer * 10 + round_number + 1) for trace in (1, 2)]
            records = [_record(f"w{writer} r{round_number} m{i}") for i in range(3)]
            stores[writer].write(
                [batch_of(*(spans if writer % 2 else spans[::-1]))],
                [build_log_batch(_request(*records))],
            )

    try:
        with ThreadPoolExecutor(writers) as pool:
            # Re-raises a writer's error; bounded, so a deadlock fails the test.
            list(pool.map(write, range(writers), timeout=120))
        bodies = [str(body) for body in _bodies(stores[0])]
        assert len(bodies) == writers * rounds * 3
        for writer in range(writers):
            mine = [body for body in bodies if body.startswith(f"w{writer} ")]
            assert mine == [f"w{writer} r{r} m{i}" for r in range(rounds) for i in range(3)]
    finally:
        for store in stores:
            store.close()


# End to end: GenAI message events as log records, sent over OTLP/HTTP to a real receiver.


def _as_openai_v2_events(logs: dict[str, Any]) -> dict[str, Any]:
    """The capture's records as openai-v2's event mode spells them: the event name in the
    record's event_name field, not in an `event.name` attribute."""
    for resource_logs in logs["resourceLogs"]:
        for scope_logs in resource_logs["scopeLogs"]:
            for record in scope_logs["logRecords"]:
                attributes = record["attributes"]
                (name,) = [
                    a["value"]["stringValue"] for a in attributes if a["key"] == "event.name"
                ]
                record["eventName"] = name
                record["attributes"] = [a for a in attributes if a["key"] != "event.name"]
    return logs


def _post(endpoint: Endpoint, path: str, body: bytes) -> None:
    request = urllib.request.Request(
        f"http://{endpoint}{path}", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def _message_key(message: Message) -> tuple[str, str | None]:
    part = message.parts[0]
    return message.role.value, part.text or part.call_id


def _sent_history(logs: bytes) -> dict[str, list[tuple[str, str | None]]]:
    """Per model call (span id), its input messages as sent: (role, text or call id)."""
    history: dict[str, list[tuple[str, str | None]]] = {}
    for record in build_log_batch(decode_logs_request(logs, Encoding.JSON)).logs:
        pb2_log = logs_pb2.LogRecord.FromString(record.record_pb)
        name = pb2_log.event_name or next(
            a.value.string_value for a in pb2_log.attributes if a.key == "event.name"
        )
        role = name.removeprefix("gen_ai.").removesuffix(".message")
        if role == "choice":
            continue
        body = {kv.key: kv.value for kv in pb2_log.body.kvlist_value.values}
        if "content" in body and role != "tool":
            key = body["content"].string_value
        elif "id" in body:
            key = body["id"].string_value
        else:
            key = body["tool_calls"].array_value.values[0].kvlist_value.values[0].value.string_value
        history.setdefault(record.span_id, []).append((role, key))
    return history


def _ties_out_of_hash_order(logs: bytes) -> bool:
    rows = build_log_batch(decode_logs_request(logs, Encoding.JSON)).logs
    tied: dict[tuple[str, int], list[str]] = {}
    for row in rows:
        tied.setdefault((row.span_id, row.time_unix_nano), []).append(row.record_key)
    return any(keys != sorted(keys) for keys in tied.values())


@pytest.mark.parametrize("spelling", ["node-openai", "openai-v2-events"])
def test_message_history_from_tied_log_events_rebuilds_in_sent_order_over_otlp_http(
    spelling: str, tmp_path: Path
) -> None:
    doc = json.loads((NODE_OPENAI / "logs.json").read_text())
    if spelling == "openai-v2-events":
        doc = _as_openai_v2_events(doc)
    logs = json.dumps(doc).encode()
    assert _ties_out_of_hash_order(logs)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    loopback = Endpoint("127.0.0.1", 0)
    receiver = Receiver(ServeConfig(grpc=None, http=loopback, store_url=store_url))
    try:
        assert receiver.http_endpoint is not None
        _post(receiver.http_endpoint, "/v1/traces", (NODE_OPENAI / "traces.json").read_bytes())
        _post(receiver.http_endpoint, "/v1/logs", logs)
    finally:
        receiver.stop()  # commits everything received
    session_id = json.loads((NODE_OPENAI / "expected.json").read_text())["session_id"]
    store = open_store(store_url)
    try:
        conversation = load_conversation(store, session_id, None)
    finally:
        store.close()
    rebuilt = {
        call.span_id: [_message_key(m) for m in call.input_messages]
        for turn in conversation.turns
        for call in turn.llm_calls
    }
    assert rebuilt == _sent_history(logs)
    assert [turn.user_text for turn in conversation.turns] == [
        "What's the weather in Paris and in Tokyo right now?",
        "Thanks! Which of the two is warmer?",
    ]
