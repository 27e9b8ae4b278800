"""Call payloads are untrusted input: any value in any place gives a call or a BadInputError,
never a crash, and a call always becomes well-formed spans that read back."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from otel_replay.calls.payloads import parse_call_document
from otel_replay.calls.spans import call_spans, call_trace_request
from otel_replay.core.errors import BadInputError
from otel_replay.scenario.emit import emit_scenario
from otel_replay.session.turns import build_conversations
from otel_replay.store.rows import build_span_batch
from tests.calls.support import CALL_FILES, load

DOCUMENTS = {name: load(path) for name, (path, _, _) in CALL_FILES.items()}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**13)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=6)
    | st.sampled_from(["", "12.5", "-3", "1e400", "2026-11-02T10:00:00Z", '{"a": 1}', "user"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> None:
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@given(data=st.data())
def test_any_value_anywhere_gives_a_call_or_a_clear_refusal(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(DOCUMENTS)))
    document = copy.deepcopy(DOCUMENTS[name])
    for _ in range(data.draw(st.integers(1, 4))):
        paths = list(_paths(document))
        path = data.draw(st.sampled_from(paths))
        _replace(document, path, data.draw(json_values))
    try:
        record = parse_call_document(document)
    except BadInputError as exc:
        assert str(exc)
        return
    spans = call_spans(record)
    assert all(s.start_time_unix_nano <= s.end_time_unix_nano for s in spans)
    json.loads(str(spans[0].attributes["voice.call.raw"]))
    batch = build_span_batch(call_trace_request(record), ("session.id",))
    assert batch.rejected == 0 and len(batch.spans) == len(spans)
    for conversation in build_conversations(spans):
        emit_scenario(conversation)
