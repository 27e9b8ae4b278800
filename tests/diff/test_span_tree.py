from __future__ import annotations

from dataclasses import replace

from otel_replay.core.records import AnyValue, Scope, Span, SpanEvent, StatusCode
from otel_replay.diff.span_tree import (
    REPLAY_SCAFFOLDING_SCOPE,
    AttributeChange,
    Delta,
    DiffNode,
    DiffStatus,
    DiffSummary,
    MatchBasis,
    SpanKey,
    SpanTreeDiff,
    default_key,
    diff_span_trees,
    name_key,
    operation_key,
)
from tests.builders import SECOND, make_span
from tests.diff.trees import (
    agent_span,
    build_session,
    chat_span,
    link_to,
    move_to_trace,
    tool_span,
    turn_span,
)

AGENT: SpanKey = ("invoke_agent", "invoke_agent support", "")
TURN: SpanKey = ("", "turn", "")


def list_changed(diff: SpanTreeDiff) -> list[DiffNode]:
    return [step.node for step in diff.walk() if step.node.status is not DiffStatus.SAME]


def list_keys(nodes: tuple[DiffNode, ...]) -> list[tuple[DiffStatus, SpanKey]]:
    return [(node.status, node.key) for node in nodes]


def test_identical_sessions_in_different_traces_are_all_same() -> None:
    original = build_session(1, turns=4)
    replay = move_to_trace(original, 2)

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=len(original), added=0, removed=0, changed=0)
    assert diff.summary.is_identical
    assert all(step.node.matched_by is MatchBasis.KEY for step in diff.walk())


def test_attributes_that_differ_on_every_run_are_ignored() -> None:
    original = [
        chat_span(1, 1, None, extra={"gen_ai.response.id": "r-1", "gen_ai.usage.input_tokens": 5})
    ]
    replay = [
        chat_span(
            2,
            1,
            None,
            extra={
                "gen_ai.response.id": "r-2",
                "gen_ai.usage.input_tokens": 7,
                "gen_ai.conversation.id": "replay-session",
                "otel_replay.run.id": "run-9",
            },
        )
    ]

    diff = diff_span_trees(original, replay)

    assert diff.summary.is_identical


def test_inserted_tool_call_shows_as_added_at_its_path() -> None:
    original = build_session(1, turns=3)
    extra_tool = tool_span(2, 99, 20, "fetch", start=11 * SECOND + 500, arguments={"url": "x"})
    replay = [*move_to_trace(original, 2), extra_tool]

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=len(original), added=1, removed=0, changed=0)
    [added] = [step for step in diff.walk() if step.node.status is DiffStatus.ADDED]
    assert added.path == (AGENT, TURN, ("execute_tool", "execute_tool fetch", "fetch"))
    assert added.ancestors[1].original == original[5]  # the second turn
    assert added.node.replay == extra_tool
    assert added.node.original is None
    siblings = list_keys(added.ancestors[-1].children)
    assert [key[2] for _, key in siblings] == ["gpt-4o", "search", "fetch", "gpt-4o"]


def test_removed_tool_call_shows_as_removed_after_its_preceding_sibling() -> None:
    original = build_session(1, turns=2)
    replay = [span for span in move_to_trace(original, 2) if span.span_id != f"{12:016x}"]

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=len(replay), added=0, removed=1, changed=0)
    turn = diff.roots[0].children[0]
    assert [node.status for node in turn.children] == [
        DiffStatus.SAME,
        DiffStatus.REMOVED,
        DiffStatus.SAME,
    ]
    assert turn.children[1].original == original[3]


def test_tool_with_changed_arguments_is_changed_with_the_argument_change() -> None:
    original = build_session(1, turns=2)
    replay = move_to_trace(original, 2)
    replay[3] = tool_span(2, 12, 10, "search", start=SECOND, arguments={"q": "other"})

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=len(original) - 1, added=0, removed=0, changed=1)
    [changed] = list_changed(diff)
    assert changed.original == original[3]
    assert changed.matched_by is MatchBasis.KEY
    assert changed.attribute_changes == (
        AttributeChange("gen_ai.tool.call.arguments", '{"q": "question 0"}', '{"q": "other"}'),
    )
    assert changed.output_changes == ()


def test_changed_model_reply_is_an_output_change() -> None:
    original = [chat_span(1, 1, None, reply="Paris")]
    replay = [chat_span(2, 1, None, reply="London")]

    [node] = diff_span_trees(original, replay).roots

    assert node.status is DiffStatus.CHANGED
    assert node.attribute_changes == ()
    assert [change.key for change in node.output_changes] == ["gen_ai.output.messages"]
    assert "London" in str(node.output_changes[0].after)


def test_swapped_model_pairs_chat_spans_by_operation_and_reports_the_model_change() -> None:
    original = build_session(1, turns=1)
    replay = [
        replace(
            span,
            name="chat gpt-4o-mini",
            attributes={**span.attributes, "gen_ai.request.model": "gpt-4o-mini"},
        )
        if span.name == "chat gpt-4o"
        else span
        for span in move_to_trace(original, 2)
    ]

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=3, added=0, removed=0, changed=2)
    for node in list_changed(diff):
        assert node.matched_by is MatchBasis.PARTIAL_KEY
        assert node.attribute_changes == (
            AttributeChange("span.name", "chat gpt-4o", "chat gpt-4o-mini"),
            AttributeChange("gen_ai.request.model", "gpt-4o", "gpt-4o-mini"),
        )


def test_spans_without_operation_kind_never_pair_by_partial_key() -> None:
    original = [make_span(1, 1, name="root"), make_span(1, 2, 1, name="load")]
    replay = [make_span(2, 1, name="root"), make_span(2, 2, 1, name="store")]

    diff = diff_span_trees(original, replay)

    assert list_keys(diff.roots[0].children) == [
        (DiffStatus.REMOVED, ("", "load", "")),
        (DiffStatus.ADDED, ("", "store", "")),
    ]


def test_reordered_siblings_pair_by_key_and_say_they_were_reordered() -> None:
    original = [
        agent_span(1, 1),
        tool_span(1, 2, 1, "search", start=1),
        tool_span(1, 3, 1, "fetch", start=2),
        tool_span(1, 4, 1, "store", start=3),
    ]
    replay = [
        agent_span(2, 1),
        tool_span(2, 2, 1, "fetch", start=1),
        tool_span(2, 3, 1, "store", start=2),
        tool_span(2, 4, 1, "search", start=3),
    ]

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=4, added=0, removed=0, changed=0)
    children = diff.roots[0].children
    assert [node.key[2] for node in children] == ["fetch", "store", "search"]
    assert [node.matched_by for node in children] == [
        MatchBasis.KEY,
        MatchBasis.KEY,
        MatchBasis.REORDERED,
    ]
    assert children[2].original == original[1]


def test_retried_tool_called_more_often_adds_only_the_extra_calls() -> None:
    original = [agent_span(1, 1), *(tool_span(1, 2 + n, 1, "search", start=n) for n in range(2))]
    replay = [agent_span(2, 1), *(tool_span(2, 2 + n, 1, "search", start=n) for n in range(4))]

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=3, added=2, removed=0, changed=0)
    assert [node.status for node in diff.roots[0].children] == [
        DiffStatus.SAME,
        DiffStatus.SAME,
        DiffStatus.ADDED,
        DiffStatus.ADDED,
    ]


def test_loop_with_fewer_turns_removes_the_missing_turns_with_their_subtrees() -> None:
    original = build_session(1, turns=5)
    replay = move_to_trace(build_session(1, turns=3), 2)

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=1 + 3 * 4, added=0, removed=2 * 4, changed=0)
    turns = diff.roots[0].children
    assert [node.status for node in turns] == [DiffStatus.SAME] * 3 + [DiffStatus.REMOVED] * 2
    assert all(child.status is DiffStatus.REMOVED for child in turns[4].children)


def test_one_turn_inserted_among_thousands_of_equal_turns_adds_just_that_turn() -> None:
    # Every turn has the same key: the alignment must not fall into pairing by position.
    def build(trace: int, turns: int, extra_at: int | None) -> list[Span]:
        spans = [agent_span(trace, 1)]
        for turn in range(turns):
            tool = "fetch" if turn == extra_at else "search"
            spans += [
                turn_span(trace, 10 * turn + 10, 1, start=turn),
                tool_span(trace, 10 * turn + 11, 10 * turn + 10, tool, start=turn),
            ]
        return spans

    original = build(1, 3000, None)
    replay = build(2, 3001, 1500)

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=len(original), added=2, removed=0, changed=0)
    added = [step.path for step in diff.walk() if step.node.status is DiffStatus.ADDED]
    assert added == [
        (AGENT, TURN),
        (AGENT, TURN, ("execute_tool", "execute_tool fetch", "fetch")),
    ]


def test_replay_links_beat_alignment() -> None:
    original = [
        agent_span(1, 1),
        tool_span(1, 2, 1, "search", start=1, arguments={"q": "a"}),
        tool_span(1, 3, 1, "search", start=2, arguments={"q": "b"}),
    ]
    replay_agent = agent_span(2, 1)
    replay_tool = tool_span(2, 2, 1, "search", start=1, arguments={"q": "b"})

    unlinked = diff_span_trees(original, [replay_agent, replay_tool])
    linked = diff_span_trees(original, [replay_agent, link_to(replay_tool, original[1])])

    assert [(node.status, node.original) for node in unlinked.roots[0].children] == [
        (DiffStatus.REMOVED, original[1]),
        (DiffStatus.SAME, original[2]),
    ]
    assert [(node.status, node.original) for node in linked.roots[0].children] == [
        (DiffStatus.CHANGED, original[1]),
        (DiffStatus.REMOVED, original[2]),
    ]
    assert linked.roots[0].children[0].matched_by is MatchBasis.LINK


def test_replay_link_pairs_spans_whose_keys_differ() -> None:
    original = [tool_span(1, 1, None, "search")]
    replay = [link_to(tool_span(2, 1, None, "lookup"), original[0])]

    [node] = diff_span_trees(original, replay).roots

    assert node.status is DiffStatus.CHANGED
    assert node.matched_by is MatchBasis.LINK
    assert AttributeChange("gen_ai.tool.name", "search", "lookup") in node.attribute_changes


def test_custom_key_function_changes_the_pairing() -> None:
    # Both tools share one span name, as with OpenInference's generic tool spans, and every
    # call has new arguments, so no subtree is identical.
    def build(trace: int, tools: list[str]) -> list[Span]:
        return [
            agent_span(trace, 1),
            *(
                tool_span(trace, 2 + n, 1, tool, start=n, name="run_tool", arguments={"t": trace})
                for n, tool in enumerate(tools)
            ),
        ]

    def list_pairs(diff: SpanTreeDiff) -> list[tuple[AnyValue, AnyValue]]:
        return [
            (
                node.original.attributes["gen_ai.tool.name"],
                node.replay.attributes["gen_ai.tool.name"],
            )
            for node in diff.roots[0].children
            if node.original and node.replay
        ]

    original = build(1, ["search", "fetch"])
    replay = build(2, ["fetch", "search"])

    by_default = diff_span_trees(original, replay)
    by_name = diff_span_trees(original, replay, key=name_key)

    assert list_pairs(by_default) == [("fetch", "fetch"), ("search", "search")]
    assert list_pairs(by_name) == [("search", "fetch"), ("fetch", "search")]
    assert by_name.roots[0].key == ("invoke_agent support",)
    assert AttributeChange("gen_ai.tool.name", "search", "fetch") in (
        by_name.roots[0].children[0].attribute_changes
    )


def test_operation_key_matches_across_model_and_span_name_changes() -> None:
    original = [chat_span(1, 1, None, model="gpt-4o")]
    replay = [chat_span(2, 1, None, model="claude-sonnet")]

    [node] = diff_span_trees(original, replay, key=operation_key).roots

    assert node.matched_by is MatchBasis.KEY
    assert node.key == ("chat", "")


def test_default_key_reads_openinference_and_vercel_attributes() -> None:
    openinference = make_span(
        1,
        1,
        name="ChatCompletion",
        attributes={"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"},
    )
    vercel_tool = make_span(
        1, 2, name="ai.toolCall", attributes={"ai.operationId": "ai.toolCall", "tool.name": "x"}
    )

    assert default_key(openinference) == ("llm", "ChatCompletion", "gpt-4o")
    assert default_key(vercel_tool) == ("ai.toolcall", "ai.toolCall", "x")


def test_duration_and_token_deltas_are_exact() -> None:
    original = [
        chat_span(
            1,
            1,
            None,
            duration=2 * SECOND,
            extra={"gen_ai.usage.input_tokens": 200, "gen_ai.usage.output_tokens": 40},
        )
    ]
    replay = [
        chat_span(
            2,
            1,
            None,
            duration=3 * SECOND,
            extra={"gen_ai.usage.input_tokens": 150, "gen_ai.usage.output_tokens": 41},
        )
    ]

    [node] = diff_span_trees(original, replay).roots

    assert node.duration == Delta(2 * SECOND, 3 * SECOND)
    assert node.duration.absolute == SECOND
    assert node.duration.percent == 50.0
    assert node.input_tokens == Delta(200, 150)
    assert node.input_tokens.absolute == -50
    assert node.input_tokens.percent == -25.0
    assert node.output_tokens is not None
    assert node.output_tokens.absolute == 1
    assert node.output_tokens.percent == 2.5


def test_openinference_token_counts_give_deltas_and_missing_counts_give_none() -> None:
    original = [make_span(1, 1, attributes={"llm.token_count.prompt": 10})]
    replay = [
        make_span(
            2, 1, attributes={"llm.token_count.prompt": "12", "llm.token_count.completion": 3}
        )
    ]

    [node] = diff_span_trees(original, replay).roots

    assert node.input_tokens == Delta(10, 12)
    assert node.input_tokens.percent == 20.0
    assert node.output_tokens is None
    assert node.status is DiffStatus.SAME


def test_percent_of_a_zero_baseline_is_none_unless_both_are_zero() -> None:
    assert Delta(0, 5).percent is None
    assert Delta(0, 0).percent == 0.0
    assert Delta(4, 0).percent == -100.0


def test_failed_replay_span_is_changed_with_status_and_exception() -> None:
    original = [tool_span(1, 1, None, "search")]
    exception = SpanEvent(
        "exception",
        0,
        {
            "exception.type": "TimeoutError",
            "exception.message": "slow",
            "exception.stacktrace": "...",
        },
    )
    replay = [
        replace(
            tool_span(2, 1, None, "search", extra={"error.type": "TimeoutError"}),
            status_code=StatusCode.ERROR,
            status_message="timed out",
            events=(exception,),
        )
    ]

    [node] = diff_span_trees(original, replay).roots

    assert node.status is DiffStatus.CHANGED
    assert node.attribute_changes == (
        AttributeChange("span.status_code", "unset", "error"),
        AttributeChange("span.status_message", "", "timed out"),
        AttributeChange(
            "span.exceptions",
            None,
            [{"exception.type": "TimeoutError", "exception.message": "slow"}],
        ),
        AttributeChange("error.type", None, "TimeoutError"),
    )


def test_values_of_different_types_are_a_change() -> None:
    original = [make_span(1, 1, attributes={"flag": 1, "ratio": 1.0, "items": [1, 2]})]
    replay = [make_span(2, 1, attributes={"flag": True, "ratio": 1, "items": [1, 2.0]})]

    [node] = diff_span_trees(original, replay).roots

    assert [change.key for change in node.attribute_changes] == ["flag", "items", "ratio"]


def test_orphans_become_roots_on_both_sides() -> None:
    original = [make_span(1, 1, name="root"), make_span(1, 3, 2, name="orphan", start=5)]
    replay = [make_span(2, 1, name="root"), make_span(2, 3, 2, name="orphan", start=5)]

    diff = diff_span_trees(original, replay)

    assert list_keys(diff.roots) == [
        (DiffStatus.SAME, ("", "root", "")),
        (DiffStatus.SAME, ("", "orphan", "")),
    ]


def test_spans_in_a_parent_cycle_are_all_kept() -> None:
    cycle = [make_span(1, 1, 2, name="a"), make_span(1, 2, 1, name="b", start=1)]

    diff = diff_span_trees(cycle, [])

    assert diff.summary == DiffSummary(same=0, added=0, removed=2, changed=0)
    assert [step.node.original for step in diff.walk()] == cycle


def test_empty_forests_give_an_empty_diff() -> None:
    diff = diff_span_trees([], [])

    assert diff.roots == ()
    assert diff.summary.total == 0


def test_walk_visits_parents_before_children_in_aligned_order() -> None:
    original = build_session(1, turns=2)

    steps = list(diff_span_trees(original, move_to_trace(original, 2)).walk())

    assert [step.depth for step in steps] == [0, 1, 2, 2, 2, 1, 2, 2, 2]
    assert [step.node.original for step in steps] == [original[i] for i in range(9)]
    assert steps[3].path == (AGENT, TURN, ("execute_tool", "execute_tool search", "search"))


def test_summary_counts_match_the_nodes() -> None:
    original = build_session(1, turns=3)
    replay = move_to_trace(build_session(1, turns=4), 2)
    replay[3] = tool_span(2, 12, 10, "search", start=SECOND, arguments={"q": "other"})

    diff = diff_span_trees(original, replay)

    for status in DiffStatus:
        walked = sum(1 for step in diff.walk() if step.node.status is status)
        assert diff.summary.count_of(status) == walked
    assert diff.summary == DiffSummary(same=12, added=4, removed=0, changed=1)


def build_turn_trace(trace: int, start: int, parent: int | None = None) -> list[Span]:
    """One user turn as its own trace, as request/response agents record them."""
    agent = agent_span(trace, 10 + start, start=start * SECOND)
    if parent is not None:
        agent = replace(agent, parent_span_id=f"{parent:016x}")
    return [
        agent,
        chat_span(trace, 11 + start, 10 + start, start=start * SECOND + 1),
        tool_span(trace, 12 + start, 10 + start, "search", start=start * SECOND + 2),
        chat_span(trace, 13 + start, 10 + start, start=start * SECOND + 3),
    ]


def build_runner_replay(original_turns: list[Span], turn_starts: list[int]) -> list[Span]:
    """The runner's shape: a run span, a turn span per turn linked to the original turn,
    and the agent's spans under each turn span."""
    scaffolding = Scope(name=REPLAY_SCAFFOLDING_SCOPE)
    run = replace(make_span(9, 1, name="otel_replay.replay scenario"), scope=scaffolding)
    for turn in original_turns:
        run = link_to(run, turn)
    spans = [run]
    for number, (turn, start) in enumerate(zip(original_turns, turn_starts, strict=True)):
        wrapper = make_span(9, 2 + number, 1, name=f"otel_replay.turn {number + 1}", start=start)
        spans.append(link_to(replace(wrapper, scope=scaffolding), turn))
        spans += build_turn_trace(9, start, parent=2 + number)
    return spans


def test_runner_scaffolding_is_spliced_out_and_its_turn_links_pair_the_agent_runs() -> None:
    original = [*build_turn_trace(1, 0), *build_turn_trace(2, 100)]
    replay = build_runner_replay([original[0], original[4]], [0, 100])

    diff = diff_span_trees(original, replay)

    assert diff.summary == DiffSummary(same=8, added=0, removed=0, changed=0)
    assert [(node.original, node.matched_by) for node in diff.roots] == [
        (original[0], MatchBasis.LINK),
        (original[4], MatchBasis.LINK),
    ]
    replayed = {step.node.replay.name for step in diff.walk() if step.node.replay}
    assert not any(name.startswith("otel_replay.") for name in replayed)


def test_runner_turn_link_decides_which_original_turn_an_agent_run_pairs_with() -> None:
    original = [*build_turn_trace(1, 0), *build_turn_trace(2, 100)]
    only_second = build_runner_replay([original[4]], [0])

    diff = diff_span_trees(original, only_second)

    assert [(node.status, node.original) for node in diff.roots] == [
        (DiffStatus.REMOVED, original[0]),
        (DiffStatus.SAME, original[4]),
    ]


def test_scaffolding_predicate_is_swappable() -> None:
    original = build_turn_trace(1, 0)
    replay = build_runner_replay([original[0]], [0])

    kept = diff_span_trees(original, replay, is_scaffolding=lambda span: False)

    assert sum(1 for step in kept.walk() if step.node.replay) == len(replay)
    assert kept.roots[0].replay == replay[0]  # the run span, paired by its link
    assert kept.roots[0].status is DiffStatus.CHANGED


def test_json_text_and_structured_content_of_equal_value_are_the_same() -> None:
    from otel_replay.diff.span_changes import compare_span_content

    structured: dict[str, AnyValue] = {
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    }
    as_text: dict[str, AnyValue] = {
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]'
    }
    changed: dict[str, AnyValue] = {
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "ho"}]}]'
    }
    a = make_span(1, 1, attributes=structured)
    assert compare_span_content(a, make_span(2, 1, attributes=as_text)) == ((), ())
    fields, _ = compare_span_content(a, make_span(2, 1, attributes=changed))
    assert [f.key for f in fields] == ["gen_ai.input.messages"]
