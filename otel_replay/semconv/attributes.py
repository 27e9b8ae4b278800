"""Every attribute key, event name and span name the normalisers read, by convention.

Names follow docs/semconv.md (sections 1-5); a `_PREFIX` ends with the dot
that precedes flattened indices or free keys. Session and user keys live in `keys.py`.
"""

from __future__ import annotations

from typing import Final


class GenAI:
    """OpenTelemetry GenAI semantic conventions, v1.26 to v1.41 (and the new genai repo)."""

    OPERATION_NAME: Final = "gen_ai.operation.name"
    PROVIDER_NAME: Final = "gen_ai.provider.name"
    # Deprecated by v1.37 in favour of provider.name; still written by many producers.
    SYSTEM: Final = "gen_ai.system"
    AGENT_NAME: Final = "gen_ai.agent.name"
    CONVERSATION_ID: Final = "gen_ai.conversation.id"

    REQUEST_MODEL: Final = "gen_ai.request.model"
    REQUEST_PREFIX: Final = "gen_ai.request."
    REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
    RESPONSE_MODEL: Final = "gen_ai.response.model"
    RESPONSE_ID: Final = "gen_ai.response.id"
    # Streaming: seconds from the request to the first chunk (double).
    RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
    # The same in seconds, as pydantic-ai writes it on its `chat` spans (the name of the
    # OTel client metric `gen_ai.client.operation.time_to_first_chunk`).
    CLIENT_TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"
    RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"

    INPUT_MESSAGES: Final = "gen_ai.input.messages"
    OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
    SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
    TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"

    USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
    USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
    USAGE_TOTAL_TOKENS: Final = "gen_ai.usage.total_tokens"
    # v1.26 and OpenLLMetry <= 0.47.
    USAGE_PROMPT_TOKENS: Final = "gen_ai.usage.prompt_tokens"
    USAGE_COMPLETION_TOKENS: Final = "gen_ai.usage.completion_tokens"
    USAGE_CACHE_READ: Final = "gen_ai.usage.cache_read.input_tokens"
    USAGE_CACHE_CREATION: Final = "gen_ai.usage.cache_creation.input_tokens"
    USAGE_CACHE_WRITE: Final = "gen_ai.usage.cache_write.input_tokens"
    USAGE_REASONING: Final = "gen_ai.usage.reasoning.output_tokens"
    # OpenLLMetry spellings of the cache and reasoning counters.
    USAGE_CACHE_READ_LEGACY: Final = "gen_ai.usage.cache_read_input_tokens"
    USAGE_CACHE_CREATION_LEGACY: Final = "gen_ai.usage.cache_creation_input_tokens"
    USAGE_REASONING_LEGACY: Final = "gen_ai.usage.reasoning_tokens"
    USAGE_PREFIX: Final = "gen_ai.usage."

    TOOL_NAME: Final = "gen_ai.tool.name"
    TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
    TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
    TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
    TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
    # `function`, `extension` or `datastore` (v1.37+).
    TOOL_TYPE: Final = "gen_ai.tool.type"
    # Vercel AI SDK v7 execute_tool spans.
    EXECUTE_TOOL_DURATION: Final = "gen_ai.execute_tool.duration"

    # v1.26 span-event attributes; with a `.{i}.` suffix: legacy OpenLLMetry flattening;
    # on a span with `langsmith.*` keys: LangSmith run inputs/outputs (section 8.1).
    PROMPT: Final = "gen_ai.prompt"
    COMPLETION: Final = "gen_ai.completion"

    # Log-record (or span-event) names, v1.28-v1.36.
    EVENT_SYSTEM_MESSAGE: Final = "gen_ai.system.message"
    EVENT_USER_MESSAGE: Final = "gen_ai.user.message"
    EVENT_ASSISTANT_MESSAGE: Final = "gen_ai.assistant.message"
    EVENT_TOOL_MESSAGE: Final = "gen_ai.tool.message"
    EVENT_CHOICE: Final = "gen_ai.choice"
    # v1.37+: one event holding the message attributes.
    EVENT_OPERATION_DETAILS: Final = "gen_ai.client.inference.operation.details"
    # v1.26-v1.27 span events.
    EVENT_CONTENT_PROMPT: Final = "gen_ai.content.prompt"
    EVENT_CONTENT_COMPLETION: Final = "gen_ai.content.completion"
    # Older SDKs put a log record's event name in this attribute instead of `eventName`.
    EVENT_NAME_ATTRIBUTE: Final = "event.name"


class General:
    """General (non-GenAI) semantic conventions."""

    EXCEPTION_EVENT: Final = "exception"
    EXCEPTION_MESSAGE: Final = "exception.message"
    EXCEPTION_TYPE: Final = "exception.type"
    THREAD_ID: Final = "thread.id"
    # OTel `session.id` (also a session key, see keys.py; replays set it as baggage too).
    SESSION_ID: Final = "session.id"
    PROCESS_PID: Final = "process.pid"


class OpenInference:
    """Arize OpenInference; traceAI <= 0.1 uses the same keys with `fi.span.kind`."""

    SPAN_KIND: Final = "openinference.span.kind"
    INPUT_MESSAGES: Final = "llm.input_messages"
    OUTPUT_MESSAGES: Final = "llm.output_messages"
    PROMPTS: Final = "llm.prompts"
    CHOICES: Final = "llm.choices"
    MODEL_NAME: Final = "llm.model_name"
    REQUEST_MODEL_NAME: Final = "llm.request.model_name"
    RESPONSE_MODEL_NAME: Final = "llm.response.model_name"
    SYSTEM: Final = "llm.system"
    PROVIDER: Final = "llm.provider"
    INVOCATION_PARAMETERS: Final = "llm.invocation_parameters"
    FINISH_REASON: Final = "llm.finish_reason"
    TOOLS: Final = "llm.tools"
    TOKEN_PROMPT: Final = "llm.token_count.prompt"
    TOKEN_COMPLETION: Final = "llm.token_count.completion"
    TOKEN_TOTAL: Final = "llm.token_count.total"
    TOKEN_CACHE_READ: Final = "llm.token_count.prompt_details.cache_read"
    TOKEN_CACHE_WRITE: Final = "llm.token_count.prompt_details.cache_write"
    TOKEN_REASONING: Final = "llm.token_count.completion_details.reasoning"
    TOKEN_COUNT_PREFIX: Final = "llm.token_count."
    EMBEDDING_MODEL_NAME: Final = "embedding.model_name"
    INPUT_VALUE: Final = "input.value"
    OUTPUT_VALUE: Final = "output.value"
    TOOL_NAME: Final = "tool.name"
    TOOL_ID: Final = "tool.id"
    TOOL_CALL_ID: Final = "tool_call.id"
    TOOL_DESCRIPTION: Final = "tool.description"
    TOOL_PARAMETERS: Final = "tool.parameters"
    AGENT_NAME: Final = "agent.name"
    # Span event of streamed calls (OpenAI, LlamaIndex instrumentors) at the first chunk.
    EVENT_FIRST_TOKEN: Final = "First Token Stream Event"
    # The LlamaIndex instrumentor's scope: it names spans `Class.method` of what it wraps.
    LLAMA_INDEX_SCOPE: Final = "openinference.instrumentation.llama_index"


class TraceAI:
    """Future AGI traceAI: 0.1 (`fi.*`) and 1.x (`gen_ai.span.kind` + flattened gen_ai keys)."""

    FI_SPAN_KIND: Final = "fi.span.kind"
    SPAN_KIND: Final = "gen_ai.span.kind"
    REQUEST_PARAMETERS: Final = "gen_ai.request.parameters"
    TOOL_PARAMETERS: Final = "gen_ai.tool.parameters"
    USAGE_CACHE_READ: Final = "gen_ai.usage.input_tokens.cache_read"
    USAGE_CACHE_WRITE: Final = "gen_ai.usage.input_tokens.cache_write"
    USAGE_REASONING: Final = "gen_ai.usage.output_tokens.reasoning"
    RAW_INPUT: Final = "raw.input"
    RAW_OUTPUT: Final = "raw.output"


class OpenLLMetry:
    """Traceloop OpenLLMetry, legacy (<= 0.47/0.54) and current (>= 0.55)."""

    SPAN_KIND: Final = "traceloop.span.kind"
    ENTITY_NAME: Final = "traceloop.entity.name"
    ENTITY_INPUT: Final = "traceloop.entity.input"
    ENTITY_OUTPUT: Final = "traceloop.entity.output"
    WORKFLOW_NAME: Final = "traceloop.workflow.name"
    REQUEST_TYPE: Final = "llm.request.type"
    REQUEST_FUNCTIONS: Final = "llm.request.functions"
    TOTAL_TOKENS: Final = "llm.usage.total_tokens"
    USAGE_PREFIX: Final = "llm.usage."
    TOP_K: Final = "llm.top_k"
    FREQUENCY_PENALTY: Final = "llm.frequency_penalty"
    PRESENCE_PENALTY: Final = "llm.presence_penalty"
    STOP_SEQUENCES: Final = "llm.chat.stop_sequences"


class Langfuse:
    """Langfuse SDK v3/v4 OTel attributes."""

    OBSERVATION_TYPE: Final = "langfuse.observation.type"
    OBSERVATION_INPUT: Final = "langfuse.observation.input"
    OBSERVATION_OUTPUT: Final = "langfuse.observation.output"
    MODEL_NAME: Final = "langfuse.observation.model.name"
    MODEL_PARAMETERS: Final = "langfuse.observation.model.parameters"
    USAGE_DETAILS: Final = "langfuse.observation.usage_details"
    TRACE_NAME: Final = "langfuse.trace.name"
    TRACE_INPUT: Final = "langfuse.trace.input"
    TRACE_OUTPUT: Final = "langfuse.trace.output"


class Vercel:
    """Vercel AI SDK <= v6 `ai.*` spans (v7 is GenAI-shaped)."""

    OPERATION_ID: Final = "ai.operationId"
    FUNCTION_ID: Final = "ai.telemetry.functionId"
    MODEL_PROVIDER: Final = "ai.model.provider"
    MODEL_ID: Final = "ai.model.id"
    SETTINGS_PREFIX: Final = "ai.settings."
    PROMPT: Final = "ai.prompt"
    PROMPT_MESSAGES: Final = "ai.prompt.messages"
    PROMPT_TOOLS: Final = "ai.prompt.tools"
    RESPONSE_TEXT: Final = "ai.response.text"
    RESPONSE_TOOL_CALLS: Final = "ai.response.toolCalls"
    RESPONSE_OBJECT: Final = "ai.response.object"
    RESPONSE_FINISH_REASON: Final = "ai.response.finishReason"
    RESPONSE_ID: Final = "ai.response.id"
    RESPONSE_TIMESTAMP: Final = "ai.response.timestamp"
    MS_TO_FIRST_CHUNK: Final = "ai.response.msToFirstChunk"
    MS_TO_FINISH: Final = "ai.response.msToFinish"
    AVG_OUTPUT_TOKENS_PER_SECOND: Final = "ai.response.avgOutputTokensPerSecond"
    AVG_COMPLETION_TOKENS_PER_SECOND: Final = "ai.response.avgCompletionTokensPerSecond"
    RESPONSE_MODEL: Final = "ai.response.model"
    # v3 spellings.
    RESULT_TEXT: Final = "ai.result.text"
    RESULT_TOOL_CALLS: Final = "ai.result.toolCalls"
    RESULT_OBJECT: Final = "ai.result.object"
    USAGE_PREFIX: Final = "ai.usage."
    USAGE_PROMPT_TOKENS: Final = "ai.usage.promptTokens"
    USAGE_COMPLETION_TOKENS: Final = "ai.usage.completionTokens"
    USAGE_INPUT_TOKENS: Final = "ai.usage.inputTokens"
    USAGE_OUTPUT_TOKENS: Final = "ai.usage.outputTokens"
    USAGE_CACHED_INPUT_TOKENS: Final = "ai.usage.cachedInputTokens"
    USAGE_REASONING_TOKENS: Final = "ai.usage.reasoningTokens"
    TOOL_CALL_NAME: Final = "ai.toolCall.name"
    TOOL_CALL_ID: Final = "ai.toolCall.id"
    TOOL_CALL_ARGS: Final = "ai.toolCall.args"
    TOOL_CALL_INPUT: Final = "ai.toolCall.input"
    TOOL_CALL_RESULT: Final = "ai.toolCall.result"
    TOOL_CALL_OUTPUT: Final = "ai.toolCall.output"


class PydanticAI:
    """pydantic-ai instrumentation (formats v1-v6) and Logfire."""

    ALL_MESSAGES: Final = "pydantic_ai.all_messages"
    NEW_MESSAGE_INDEX: Final = "pydantic_ai.new_message_index"
    FINAL_RESULT: Final = "final_result"
    AGENT_NAME: Final = "agent_name"
    MODEL_NAME: Final = "model_name"
    AGGREGATED_USAGE_PREFIX: Final = "gen_ai.aggregated_usage."
    # v1: OTel 1.28-style events serialised into one span attribute.
    EVENTS: Final = "events"
    ALL_MESSAGES_EVENTS: Final = "all_messages_events"
    MESSAGE_INDEX: Final = "gen_ai.message.index"
    # v2 tool spans.
    TOOL_ARGUMENTS: Final = "tool_arguments"
    TOOL_RESPONSE: Final = "tool_response"
    LOGFIRE_MSG: Final = "logfire.msg"


class Strands:
    """Strands Agents built-in tracing (GenAI keys, content in span events)."""

    # Milliseconds (the OTel metric of this name is in seconds).
    SERVER_TIME_TO_FIRST_TOKEN_MS: Final = "gen_ai.server.time_to_first_token"


class GoogleADK:
    """Google Agent Development Kit built-in tracing (GenAI keys, scope `gcp.vertex.agent`)."""

    # gen_ai.tool.name of the `execute_tool (merged)` span ADK adds after parallel tool
    # calls, each of which also has an `execute_tool` span of its own.
    MERGED_TOOLS: Final = "(merged tools)"


class CrewAI:
    """CrewAI native tracing (its `crewai.*` namespace; content goes in GenAI keys)."""

    EXECUTION_UUID: Final = "crewai.execution_uuid"  # one per kickoff
    # On the `execute task` span: the task as written, i.e. the user's input.
    TASK_DESCRIPTION: Final = "crewai.task.description"
    # OpenInference's CrewAI instrumentor; its task span's output.value is the TaskOutput.
    OPENINFERENCE_SCOPE: Final = "openinference.instrumentation.crewai"


class LangSmith:
    """LangSmith SDK OTel exporter."""

    SPAN_KIND: Final = "langsmith.span.kind"
    METADATA_PREFIX: Final = "langsmith.metadata."
    # A LangSmith project, not a conversation: never used for grouping.
    TRACE_SESSION_ID: Final = "langsmith.trace.session_id"


class LiveKit:
    """LiveKit Agents built-in tracing; >= 1.7 moved content keys under `lk.pii.`."""

    AGENT_NAME: Final = "lk.agent_name"
    USER_TRANSCRIPT: Final = "lk.user_transcript"
    USER_INPUT: Final = "lk.user_input"
    INSTRUCTIONS: Final = "lk.instructions"
    GENERATION_ID: Final = "lk.generation_id"
    PARENT_GENERATION_ID: Final = "lk.parent_generation_id"
    PROVIDER_REQUEST_IDS: Final = "lk.provider_request_ids"
    CHAT_CTX: Final = "lk.chat_ctx"
    FUNCTION_TOOLS: Final = "lk.function_tools"
    RESPONSE_TEXT: Final = "lk.response.text"
    RESPONSE_FUNCTION_CALLS: Final = "lk.response.function_calls"
    FUNCTION_TOOL_ID: Final = "lk.function_tool.id"
    FUNCTION_TOOL_NAME: Final = "lk.function_tool.name"
    FUNCTION_TOOL_ARGUMENTS: Final = "lk.function_tool.arguments"
    FUNCTION_TOOL_OUTPUT: Final = "lk.function_tool.output"
    FUNCTION_TOOL_IS_ERROR: Final = "lk.function_tool.is_error"
    INPUT_TEXT: Final = "lk.input_text"
    PARTICIPANT_IDENTITY: Final = "lk.participant_identity"
    # Voice timings (seconds) and outcome, read by otel_replay.voice.
    INTERRUPTED: Final = "lk.interrupted"
    E2E_LATENCY: Final = "lk.e2e_latency"
    RESPONSE_TTFB: Final = "lk.response.ttfb"
    CLOSE_REASON: Final = "lk.close_reason"
    DISCONNECT_REASON: Final = "lk.disconnect_reason"

    SPAN_AGENT_SESSION: Final = "agent_session"
    SPAN_USER_TURN: Final = "user_turn"
    SPAN_AGENT_TURN: Final = "agent_turn"
    SPAN_LLM_NODE: Final = "llm_node"
    SPAN_LLM_REQUEST: Final = "llm_request"
    SPAN_FUNCTION_TOOL: Final = "function_tool"
    SPAN_TTS_NODE: Final = "tts_node"
    SPAN_TTS_REQUEST: Final = "tts_request"

    @staticmethod
    def pii(key: str) -> str:
        """The >= 1.7 spelling of a content key (`lk.x` -> `lk.pii.x`)."""
        return "lk.pii." + key.removeprefix("lk.")


class Pipecat:
    """Pipecat built-in tracing."""

    CONVERSATION_ID: Final = "conversation.id"
    METRICS_TTFB: Final = "metrics.ttfb"  # seconds to the first byte of a service's answer
    TURN_NUMBER: Final = "turn.number"
    # Voice timings (seconds) and outcome, read by otel_replay.voice.
    TURN_WAS_INTERRUPTED: Final = "turn.was_interrupted"
    TURN_USER_BOT_LATENCY: Final = "turn.user_bot_latency_seconds"
    TRANSCRIPT: Final = "transcript"
    IS_FINAL: Final = "is_final"
    INPUT: Final = "input"
    OUTPUT: Final = "output"
    TOOLS: Final = "tools"
    TEXT: Final = "text"
    USER_ID: Final = "user_id"
    MAX_COMPLETION_TOKENS: Final = "gen_ai.request.max_completion_tokens"

    SPAN_CONVERSATION: Final = "conversation"
    SPAN_TURN: Final = "turn"
    SPAN_STT: Final = "stt"
    SPAN_LLM: Final = "llm"
    SPAN_TTS: Final = "tts"


class VoiceCall:
    """Our own convention for a hosted voice call (Vapi, Retell) imported as spans.

    docs/semconv.md section 12. One trace per call: a `voice.call` root, one `voice.turn`
    child per user-to-agent exchange, and under each turn the derived model calls (GenAI
    `chat` spans) and the tool calls (GenAI `execute_tool` spans with the offsets below).
    Offsets (`*_ms`) are integer milliseconds from the start of the call's recording.
    """

    SPAN_CALL: Final = "voice.call"
    SPAN_TURN: Final = "voice.turn"
    # A post-call analysis (Vapi `analysis`, Retell `call_analysis`): its own child of the
    # root, with an id derived from its content, so a later delivery adds it.
    SPAN_ANALYSIS: Final = "voice.call.analysis"
    ANALYSIS_SUMMARY: Final = "voice.call.analysis.summary"
    ANALYSIS_SUCCESS: Final = "voice.call.analysis.success"  # verbatim, as text
    ANALYSIS_SENTIMENT: Final = "voice.call.analysis.user_sentiment"  # Retell's
    ANALYSIS_RAW: Final = "voice.call.analysis.raw"  # JSON: the analysis object, verbatim

    # Root span. The call id is also written as session.id and gen_ai.conversation.id.
    ID: Final = "voice.call.id"
    PLATFORM: Final = "voice.call.platform"  # vapi, retell
    # What the record was read from: vapi.call, vapi.end_of_call_report, retell.call,
    # retell.call_ended, retell.call_analyzed.
    SOURCE: Final = "voice.call.source"
    TYPE: Final = "voice.call.type"  # the platform's own call type, verbatim
    DIRECTION: Final = "voice.call.direction"  # inbound, outbound, web
    AGENT_ID: Final = "voice.call.agent.id"  # Vapi assistant id, Retell agent id
    AGENT_VERSION: Final = "voice.call.agent.version"
    DURATION_MS: Final = "voice.call.duration_ms"
    END_REASON: Final = "voice.call.end_reason"  # verbatim
    END_REASON_BUCKET: Final = "voice.call.end_reason.bucket"  # EndReasonBucket value
    COST_USD: Final = "voice.call.cost_usd"  # float, US dollars (Retell cents converted)
    RECORDING_MIXED_URL: Final = "voice.call.recording.mixed_url"
    RECORDING_STEREO_URL: Final = "voice.call.recording.stereo_url"  # one party per channel
    RECORDING_USER_URL: Final = "voice.call.recording.user_url"  # the caller's track
    RECORDING_AGENT_URL: Final = "voice.call.recording.agent_url"
    # JSON object: the voice agent's configuration on the call (the scenario's
    # `agent.voice` fields, plus system_prompt and tools).
    CONFIG: Final = "voice.call.config"
    # JSON: the payload as received, verbatim (webhook body or API object).
    RAW: Final = "voice.call.raw"
    # JSON list of every utterance in order: {role: user|agent, text, start_ms, end_ms?,
    # speech_ms?, interrupted?}; the agent's greeting is only here and in GREETING_TEXT.
    UTTERANCES: Final = "voice.call.utterances"
    GREETING_TEXT: Final = "voice.call.greeting.text"
    # JSON object: the platform's own timing metrics (Vapi performanceMetrics, Retell
    # latency), milliseconds, verbatim.
    NATIVE_METRICS: Final = "voice.call.native_metrics"

    # Turn spans.
    TURN_INDEX: Final = "voice.turn.index"
    TURN_USER_TEXT: Final = "voice.turn.user.text"
    TURN_AGENT_TEXT: Final = "voice.turn.agent.text"
    TURN_USER_START_MS: Final = "voice.turn.user.start_ms"
    TURN_USER_END_MS: Final = "voice.turn.user.end_ms"
    TURN_AGENT_START_MS: Final = "voice.turn.agent.start_ms"
    TURN_AGENT_END_MS: Final = "voice.turn.agent.end_ms"
    # The user started speaking before the agent's previous speech ended.
    TURN_BARGE_IN: Final = "voice.turn.barge_in"
    # This turn's agent speech was cut off: the next user speech began before it ended.
    TURN_AGENT_INTERRUPTED: Final = "voice.turn.agent.interrupted"
    # The agent started speaking before the user had finished.
    TURN_AGENT_TALKED_OVER: Final = "voice.turn.agent.talked_over"
    # JSON list: this turn's utterances, in the shape of UTTERANCES.
    TURN_UTTERANCES: Final = "voice.turn.utterances"

    # Tool spans (name, call id, arguments and result are the GenAI tool keys).
    TOOL_CALL_MS: Final = "voice.tool.call_ms"
    TOOL_RESULT_MS: Final = "voice.tool.result_ms"

    # On the derived `chat` spans: the model call is rebuilt from the transcript (the
    # platform does not export its model calls), so its texts are what was spoken/heard.
    LLM_DERIVED: Final = "voice.llm.derived"
