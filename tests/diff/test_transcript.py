from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pydantic import JsonValue

from otel_replay.core.runs import (
    ToolCallSummary,
    TurnSide,
)
from otel_replay.diff.transcript import (
    ToolCallStatus,
    ToolCallStep,
    TranscriptToolCall,
    TranscriptTurn,
    TurnStatus,
    WordOp,
    diff_run_transcripts,
    diff_tool_calls,
    diff_transcripts,
    diff_words,
    format_tool_call,
    format_tool_change,
    index_key,
    measure_reply_similarity,
    transcript_from_conversation,
    transcripts_from_run,
)
from otel_replay.semconv.model import (
    Conversation,
    LinkedBy,
    SpanError,
    ToolCall,
    Turn,
    Usage,
)
from tests.evals.runs import incident_run, make_run

GREETING = "Happy to help. What is your order number?"
IN_TRANSIT = "Order 123 is in transit, arriving Friday."


def call(name: str, **arguments: JsonValue) -> TranscriptToolCall:
    return TranscriptToolCall(name, dict(arguments))


def turn(
    index: int, user: str | None, assistant: str | None = "ok", *calls: TranscriptToolCall
) -> TranscriptTurn:
    return TranscriptTurn(index=index, user=user, assistant=assistant, tool_calls=calls)


def side(assistant: str | None, *tools: str, order_id: str = "123") -> TurnSide:
    return TurnSide(
        assistant=assistant,
        tool_calls=[ToolCallSummary(name=t, arguments={"order_id": order_id}) for t in tools],
    )


def test_support_incident_diverges_at_turn_4_with_refund_replaced_by_status_check() -> None:
    diff = diff_run_transcripts(incident_run())

    assert diff.first_divergent_turn == 4
    assert [t.status for t in diff.turns] == [
        TurnStatus.SAME,
        TurnStatus.SAME,
        TurnStatus.SAME,
        TurnStatus.CHANGED,
        TurnStatus.CHANGED,
    ]
    assert [format_tool_change(t) for t in diff.turns] == [
        None,
        None,
        None,
        "turn 4: issue_refund(order_id=123) -> check_status(order_id=123)",
        None,
    ]
    refund_turn = diff.turns[3]
    assert refund_turn.tool_calls == (
        ToolCallStep(ToolCallStatus.REMOVED, call("issue_refund", order_id="123"), None),
        ToolCallStep(ToolCallStatus.ADDED, None, call("check_status", order_id="123")),
    )
    assert refund_turn.reply_similarity == 0.0
    assert not diff.turns[4].tools_changed
    assert diff.turns[4].reply_changed


def test_run_diff_by_user_text_equals_diff_by_index() -> None:
    original, replayed = transcripts_from_run(incident_run())

    assert diff_transcripts(original, replayed) == diff_run_transcripts(incident_run())


def test_turn_not_replayed_is_removed_and_later_turns_still_pair() -> None:
    run = make_run(
        [
            (None, side("Welcome to the shop."), None),
            ("Hello!", side(GREETING), side(GREETING)),
        ]
    )

    original, replayed = transcripts_from_run(run)
    diff = diff_run_transcripts(run)

    assert [t.index for t in original] == [0, 1]
    assert [t.index for t in replayed] == [1]
    assert replayed[0].trace_id == "b" * 32
    assert original[1].trace_id == f"{2:032x}"
    assert [(t.status, t.number) for t in diff.turns] == [
        (TurnStatus.REMOVED, 1),
        (TurnStatus.SAME, 2),
    ]
    assert diff.first_divergent_turn == 1


def test_dropped_turn_aligns_the_turns_after_it() -> None:
    original = [turn(0, "a"), turn(1, "b"), turn(2, "c"), turn(3, "d")]
    replayed = [turn(0, "a"), turn(1, "c"), turn(2, "d")]

    diff = diff_transcripts(original, replayed)

    assert [(t.status, t.number) for t in diff.turns] == [
        (TurnStatus.SAME, 1),
        (TurnStatus.REMOVED, 2),
        (TurnStatus.SAME, 3),
        (TurnStatus.SAME, 4),
    ]
    assert [t.replayed.user if t.replayed else None for t in diff.turns] == ["a", None, "c", "d"]
    assert diff.first_divergent_turn == 2


def test_inserted_turn_is_added_between_its_neighbours() -> None:
    original = [turn(0, "a"), turn(1, "b")]
    replayed = [turn(0, "a"), turn(1, "x", "new", call("lookup")), turn(2, "b")]

    diff = diff_transcripts(original, replayed)

    assert [(t.status, t.number) for t in diff.turns] == [
        (TurnStatus.SAME, 1),
        (TurnStatus.ADDED, 2),
        (TurnStatus.SAME, 2),
    ]
    added = diff.turns[1]
    assert added.original is None
    assert added.reply == ((WordOp.INSERT, "new"),)
    assert added.tool_calls == (ToolCallStep(ToolCallStatus.ADDED, None, call("lookup")),)
    assert format_tool_change(added) == "turn 2: (none) -> lookup()"
    assert diff.first_divergent_turn == 2


def test_edited_turn_in_a_gap_is_removed_then_added() -> None:
    original = [turn(0, "a"), turn(1, "b"), turn(2, "z")]
    replayed = [turn(0, "a"), turn(1, "c"), turn(2, "z")]

    diff = diff_transcripts(original, replayed)

    assert [t.status for t in diff.turns] == [
        TurnStatus.SAME,
        TurnStatus.REMOVED,
        TurnStatus.ADDED,
        TurnStatus.SAME,
    ]


def test_repeated_user_messages_pair_in_order() -> None:
    original = [turn(0, "Thanks.", "first"), turn(1, "Thanks.", "second")]
    replayed = [turn(0, "Thanks.", "first")]

    diff = diff_transcripts(original, replayed)

    assert [(t.status, t.number) for t in diff.turns] == [
        (TurnStatus.SAME, 1),
        (TurnStatus.REMOVED, 2),
    ]


def test_key_function_decides_which_turns_pair() -> None:
    original = [turn(0, "Hi", "same reply")]
    replayed = [turn(0, "hi", "same reply")]

    by_text = diff_transcripts(original, replayed)
    by_index = diff_transcripts(original, replayed, key=index_key)
    by_folded_text = diff_transcripts(original, replayed, key=lambda t: (t.user or "").casefold())

    assert [t.status for t in by_text.turns] == [TurnStatus.REMOVED, TurnStatus.ADDED]
    assert [t.status for t in by_index.turns] == [TurnStatus.SAME]
    assert by_folded_text == by_index


def test_word_diff_marks_replaced_words_as_delete_then_insert() -> None:
    assert diff_words(IN_TRANSIT, "Order 123 is delivered.") == (
        (WordOp.EQUAL, "Order 123 is"),
        (WordOp.DELETE, "in transit, arriving Friday."),
        (WordOp.INSERT, "delivered."),
    )


def test_word_diff_of_disjoint_replies_and_of_an_appended_word() -> None:
    assert diff_words("I have refunded order 123.", IN_TRANSIT) == (
        (WordOp.DELETE, "I have refunded order 123."),
        (WordOp.INSERT, IN_TRANSIT),
    )
    assert diff_words("Hello there", "Hello there friend") == (
        (WordOp.EQUAL, "Hello there"),
        (WordOp.INSERT, "friend"),
    )
    assert diff_words(None, "hi") == ((WordOp.INSERT, "hi"),)
    assert diff_words(None, None) == ()


def test_whitespace_changes_are_not_reply_changes() -> None:
    diff = diff_transcripts([turn(0, "u", "a  b\nc")], [turn(0, "u", "a b c")])

    assert diff.turns[0].reply == ((WordOp.EQUAL, "a b c"),)
    assert diff.turns[0].status is TurnStatus.SAME
    assert diff.turns[0].reply_similarity == 1.0


def test_reply_similarity_is_the_share_of_words_in_common() -> None:
    assert measure_reply_similarity("a b c d", "a b x d") == 0.75
    assert measure_reply_similarity("a b", "c d") == 0.0
    assert measure_reply_similarity(None, None) == 1.0
    assert measure_reply_similarity(None, "a") == 0.0


def test_changed_arguments_are_a_change_unless_ignored() -> None:
    original = [turn(0, "u", "ok", call("check_status", order_id="123"))]
    replayed = [turn(0, "u", "ok", call("check_status", order_id="456"))]

    strict = diff_transcripts(original, replayed)
    lenient = diff_transcripts(original, replayed, compare_arguments=False)

    assert strict.turns[0].status is TurnStatus.CHANGED
    assert strict.turns[0].tool_calls == (
        ToolCallStep(
            ToolCallStatus.CHANGED,
            call("check_status", order_id="123"),
            call("check_status", order_id="456"),
        ),
    )
    assert format_tool_change(strict.turns[0]) == (
        "turn 1: check_status(order_id=123) -> check_status(order_id=456)"
    )
    assert lenient.turns[0].status is TurnStatus.SAME
    assert lenient.first_divergent_turn is None


def test_tool_sequences_align_on_names() -> None:
    steps = diff_tool_calls(
        [call("search"), call("fetch"), call("answer")],
        [call("search"), call("rank"), call("answer"), call("log")],
    )

    assert [(s.status, (s.original or s.replayed or call("?")).name) for s in steps] == [
        (ToolCallStatus.SAME, "search"),
        (ToolCallStatus.REMOVED, "fetch"),
        (ToolCallStatus.ADDED, "rank"),
        (ToolCallStatus.SAME, "answer"),
        (ToolCallStatus.ADDED, "log"),
    ]


def test_tool_calls_format_simple_strings_bare_and_the_rest_as_json() -> None:
    arguments: dict[str, JsonValue] = {
        "query": "late orders",
        "order_id": "A-12_3",
        "empty": "",
        "limit": 5,
        "ratio": 0.5,
        "flags": ["x", 1],
        "filter": {"b": 1, "a": None},
        "ok": True,
        "none": None,
    }

    assert format_tool_call(TranscriptToolCall("search", arguments)) == (
        'search(query="late orders", order_id=A-12_3, empty="", limit=5, ratio=0.5, '
        'flags=["x",1], filter={"a":null,"b":1}, ok=true, none=null)'
    )
    assert format_tool_call(TranscriptToolCall("ping")) == "ping()"
    assert format_tool_call(TranscriptToolCall("echo", "hi there")) == 'echo("hi there")'
    assert format_tool_call(TranscriptToolCall("sum", [1, 2])) == "sum([1,2])"


def test_several_calls_join_on_one_line() -> None:
    diff = diff_transcripts(
        [turn(0, "u", "ok", call("a", x=1), call("b"))], [turn(0, "u", "ok", call("a", x=1))]
    )

    assert format_tool_change(diff.turns[0]) == "turn 1: a(x=1), b() -> a(x=1)"


def test_conversation_becomes_transcript_turns() -> None:
    trace_id = "c" * 32
    conversation = Conversation(
        session_id="s1",
        user_id=None,
        trace_ids=(trace_id,),
        turns=(
            Turn(
                index=0,
                trace_id=trace_id,
                span_id="1" * 16,
                user_text="where is order 123?",
                assistant_text=IN_TRANSIT,
                llm_calls=(),
                tool_calls=(
                    ToolCall(
                        name="check_status",
                        call_id="call_1",
                        arguments={"order_id": "123", "raw": b"\x00\x01"},
                        result={"status": "in transit"},
                        linked_by=LinkedBy.CALL_ID,
                        trace_id=trace_id,
                    ),
                ),
                start_unix_nano=1_000_000_000,
                end_unix_nano=2_500_000_000,
                usage=Usage(input_tokens=120, output_tokens=30),
                errors=(SpanError("2" * 16, "check_status", "timeout"),),
            ),
        ),
    )

    assert transcript_from_conversation(conversation) == (
        TranscriptTurn(
            index=0,
            user="where is order 123?",
            assistant=IN_TRANSIT,
            tool_calls=(call("check_status", order_id="123", raw="AAE="),),
            latency_ms=1500.0,
            input_tokens=120,
            output_tokens=30,
            errors=1,
            trace_id=trace_id,
            llm_calls=0,
        ),
    )


_TEXT = st.sampled_from(["hi", "order 123", "where is it?", "thanks", ""]) | st.none()
_CALLS = st.lists(
    st.builds(
        TranscriptToolCall,
        st.sampled_from(["check_status", "issue_refund", "search"]),
        st.dictionaries(st.sampled_from(["order_id", "q"]), st.integers(0, 3) | _TEXT),
    ),
    max_size=3,
)


@st.composite
def transcripts(draw: st.DrawFn) -> list[TranscriptTurn]:
    count = draw(st.integers(0, 8))
    return [
        TranscriptTurn(
            index=index,
            user=draw(_TEXT),
            assistant=draw(st.text(max_size=30) | st.none()),
            tool_calls=tuple(draw(_CALLS)),
        )
        for index in range(count)
    ]


@given(transcripts())
def test_transcript_against_itself_has_no_divergence(transcript: list[TranscriptTurn]) -> None:
    diff = diff_transcripts(transcript, transcript)

    assert diff.first_divergent_turn is None
    assert diff.is_identical
    assert len(diff.turns) == len(transcript)
    assert all(t.status is TurnStatus.SAME for t in diff.turns)
    assert all(t.reply_similarity == 1.0 for t in diff.turns)
    assert all(format_tool_change(t) is None for t in diff.turns)


@given(transcripts(), transcripts())
def test_every_turn_appears_once_in_order(
    original: list[TranscriptTurn], replayed: list[TranscriptTurn]
) -> None:
    diff = diff_transcripts(original, replayed)

    assert [t.original for t in diff.turns if t.original is not None] == original
    assert [t.replayed for t in diff.turns if t.replayed is not None] == replayed
    changed = [t.number for t in diff.turns if t.status is not TurnStatus.SAME]
    assert diff.first_divergent_turn == (changed[0] if changed else None)
