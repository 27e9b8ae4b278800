"""Attribute keys that identify a session and a user, in resolution order (semconv.md section 10).

Resolved by `semconv/identity.py`, the one resolver both the store and the session builder use.
"""

from __future__ import annotations

from otel_replay.semconv.attributes import LiveKit

# First non-empty wins, looked up on the span, then on its resource.
# Never `langsmith.trace.session_id` (a LangSmith project) or `openinference.project.name`.
DEFAULT_SESSION_KEYS: tuple[str, ...] = (
    "gen_ai.conversation.id",
    "session.id",
    "langfuse.session.id",
    "traceloop.association.properties.session_id",
    "traceloop.association.properties.chat_id",
    "traceloop.association.properties.conversation_id",
    "traceloop.association.properties.thread_id",
    "ai.telemetry.metadata.sessionId",
    "ai.settings.context.sessionId",
    "langsmith.metadata.session_id",
    "langsmith.metadata.thread_id",
    "langsmith.metadata.conversation_id",
    "conversation.id",
    "langfuse.trace.metadata.langfuse_session_id",
    "langfuse.observation.metadata.langfuse_session_id",
)

DEFAULT_USER_KEYS: tuple[str, ...] = (
    "user.id",
    "langfuse.user.id",
    "traceloop.association.properties.user_id",
    "ai.telemetry.metadata.userId",
    "enduser.id",
    "langsmith.metadata.user_id",
    # After the general keys: the voice frameworks' participant ids.
    LiveKit.PARTICIPANT_IDENTITY,
    LiveKit.pii(LiveKit.PARTICIPANT_IDENTITY),
)


def parse_key_list(text: str) -> tuple[str, ...]:
    """Parse a comma-separated key list (as given to --session-keys)."""
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    if not keys:
        from otel_replay.core.errors import BadInputError

        raise BadInputError("the session key list is empty")
    return keys


# Our own replay convention: what replays write and diffs read.
REPLAY_LINK_TYPE_KEY = "otel_replay.link.type"
REPLAY_OF = "replay_of"  # a link from a replayed span to the span it replays
REPLAY_TRACER_NAME = "otel_replay.replay"  # the runner's scaffolding spans (run, turns)
REPLAY_TOOL_TRACER_NAME = "otel_replay.tool"  # spans of `otel_replay.tool` functions
# Every attribute a replay writes starts with this prefix; the diff ignores them.
REPLAY_ATTRIBUTE_PREFIX = "otel_replay."
REPLAY_RUN_ID = "otel_replay.run.id"
REPLAY_SCENARIO = "otel_replay.scenario"
REPLAY_TURN_INDEX = "otel_replay.turn.index"
REPLAY_TURN_ORIGIN = "otel_replay.turn.origin"  # who spoke the turn: recorded or simulated
REPLAY_ORIGINAL_SESSION_ID = "otel_replay.original.session_id"
REPLAY_ORIGINAL_TRACE_ID = "otel_replay.original.trace_id"
REPLAY_ORIGINAL_SPAN_ID = "otel_replay.original.span_id"
# Where a replayed model call's answer came from: `recorded`, `live` or `unanswered`.
REPLAY_LLM_SOURCE = "otel_replay.llm.source"
REPLAY_TOOL_SOURCE = "otel_replay.tool.source"  # `recorded`, `live` or `unmatched`
REPLAY_TOOL_DIVERGENCE = "otel_replay.tool.divergence"  # how the call differed from the recording
