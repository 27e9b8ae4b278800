from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from otel_replay.core.records import AnyValue, Span
from otel_replay.diff.span_changes import (
    IGNORED_ATTRIBUTE_KEYS,
    compare_span_content,
    hash_span_content,
)
from tests.builders import make_span

values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.5, 1.0]) | st.text("ab"),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text("xy"), inner, max_size=2),
    max_leaves=4,
)
attribute_maps = st.dictionaries(
    st.sampled_from(["tool.name", "gen_ai.request.model", "output.value", "gen_ai.response.id"]),
    values,
    max_size=4,
)


def span_with(attributes: dict[str, AnyValue], name: str = "step") -> Span:
    return make_span(1, 1, name=name, attributes=attributes)


@given(attribute_maps, attribute_maps, st.sampled_from(["a", "b"]))
def test_content_hash_is_equal_exactly_when_no_attribute_changes(
    before: dict[str, AnyValue], after: dict[str, AnyValue], name: str
) -> None:
    original, replay = span_with(before), span_with(after, name)

    attribute_changes, _ = compare_span_content(original, replay)

    assert (attribute_changes == ()) == (hash_span_content(original) == hash_span_content(replay))


def test_ids_usage_and_run_attributes_are_ignored() -> None:
    assert "gen_ai.response.id" in IGNORED_ATTRIBUTE_KEYS
    original = span_with({"gen_ai.usage.output_tokens": 1, "otel_replay.run.id": "a"})
    replay = span_with({"gen_ai.usage.output_tokens": 2, "otel_replay.run.id": "b"})

    assert compare_span_content(original, replay) == ((), ())


def test_flattened_output_messages_are_output_changes() -> None:
    original = span_with({"llm.output_messages.0.message.content": "yes", "tool.name": "x"})
    replay = span_with({"llm.output_messages.0.message.content": "no", "tool.name": "y"})

    attribute_changes, output_changes = compare_span_content(original, replay)

    assert [change.key for change in attribute_changes] == ["tool.name"]
    assert [change.key for change in output_changes] == ["llm.output_messages.0.message.content"]


def test_attribute_present_on_one_side_only_is_a_change_from_or_to_none() -> None:
    attribute_changes, _ = compare_span_content(span_with({"a": 1}), span_with({"b": 2}))

    assert [(c.key, c.before, c.after) for c in attribute_changes] == [
        ("a", 1, None),
        ("b", None, 2),
    ]
