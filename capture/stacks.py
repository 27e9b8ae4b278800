"""Every capture: which environment it runs in, the command, its settings and session key."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Environment:
    """A virtual environment (or node_modules folder) installed from capture/envs/<pins>."""

    name: str
    pins: str
    # The packages capture.json reports the versions of.
    report: tuple[str, ...]
    node: bool = False


@dataclass(frozen=True)
class Capture:
    name: str
    environment: Environment
    # `{bin}` is the environment's bin folder (node_modules/.bin for Node).
    command: tuple[str, ...]
    summary: str
    session_id: str | None
    session_key: str | None
    env: dict[str, str] = field(default_factory=dict)
    streamed: bool = False
    notes: str = ""
    # False when nothing traces tool execution (a plain openai client app): the expected
    # tool calls are then linked `request_only` (asked for, never seen running).
    tool_spans: bool = True


_OTEL = ("opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http")
OPENAI_V2 = Environment(
    "openai-v2",
    "openai-v2.txt",
    (
        "openai",
        "opentelemetry-instrumentation-openai-v2",
        "opentelemetry-util-genai",
        "opentelemetry-distro",
        "opentelemetry-processor-baggage",
        *_OTEL,
    ),
)
OPENINFERENCE_OPENAI = Environment(
    "openinference-openai",
    "openinference-openai.txt",
    (
        "openai",
        "openinference-instrumentation-openai",
        "openinference-instrumentation",
        "openinference-semantic-conventions",
        *_OTEL,
    ),
)
OPENAI_AGENTS = Environment(
    "openai-agents",
    "openai-agents.txt",
    (
        "openai-agents",
        "openai",
        "openinference-instrumentation-openai-agents",
        "openinference-instrumentation",
        *_OTEL,
    ),
)
LANGGRAPH = Environment(
    "langgraph",
    "langgraph.txt",
    (
        "langchain",
        "langchain-core",
        "langchain-openai",
        "langgraph",
        "openinference-instrumentation-langchain",
        "openinference-instrumentation",
        *_OTEL,
    ),
)
PYDANTIC_AI = Environment("pydantic-ai", "pydantic-ai.txt", ("pydantic-ai-slim", "openai", *_OTEL))

NODE_OPENAI = Environment(
    "node-openai",
    "node-openai.json",
    (
        "openai",
        "@opentelemetry/instrumentation-openai",
        "@opentelemetry/sdk-node",
        "@opentelemetry/exporter-trace-otlp-proto",
        "@opentelemetry/exporter-logs-otlp-proto",
        "@opentelemetry/baggage-span-processor",
    ),
    node=True,
)
VERCEL_AI = Environment(
    "vercel-ai",
    "vercel-ai.json",
    ("ai", "@ai-sdk/openai", "@opentelemetry/sdk-node", "@opentelemetry/exporter-trace-otlp-proto"),
    node=True,
)
LLAMAINDEX = Environment(
    "llamaindex",
    "llamaindex.txt",
    (
        "llama-index-core",
        "llama-index-llms-openai",
        "openinference-instrumentation-llama-index",
        "openinference-instrumentation",
        "openai",
        *_OTEL,
    ),
)

CREWAI = Environment(
    "crewai",
    "crewai.txt",
    (
        "crewai",
        "openai",
        "openinference-instrumentation-crewai",
        "openinference-instrumentation-openai",
        *_OTEL,
    ),
)

STRANDS = Environment("strands", "strands.txt", ("strands-agents", "openai", *_OTEL))

GOOGLE_ADK = Environment(
    "google-adk", "google-adk.txt", ("google-adk", "litellm", "openai", "google-genai", *_OTEL)
)

_PY = "{bin}/python"
# Only the service name on the resource (the default detectors add host and process
# details, paths included, that no test needs); no metrics.
_NODE_ENV = {
    "OTEL_NODE_RESOURCE_DETECTORS": "env",
    "OTEL_SERVICE_NAME": "weather-agent",
    "OTEL_METRICS_EXPORTER": "none",
}
_V2_ENV = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}

CAPTURES: dict[str, Capture] = {
    c.name: c
    for c in (
        Capture(
            "openai-v2-spans",
            OPENAI_V2,
            (_PY, "openai_chat.py", "--instrumentation", "openai-v2"),
            "openai-v2, content as span attributes, session.id from baggage",
            "capture-openai-v2-spans",
            "session.id",
            {**_V2_ENV, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only"},
            tool_spans=False,
        ),
        Capture(
            "openai-v2-events-stream",
            OPENAI_V2,
            (_PY, "openai_chat.py", "--instrumentation", "openai-v2", "--stream"),
            "openai-v2, content in log records (events), streamed",
            "capture-openai-v2-events-stream",
            "session.id",
            {**_V2_ENV, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "event_only"},
            streamed=True,
            tool_spans=False,
        ),
        Capture(
            "openai-v2-zero-code",
            OPENAI_V2,
            (
                "{bin}/opentelemetry-instrument",
                _PY,
                "openai_chat.py",
                "--instrumentation",
                "zero-code",
            ),
            "opentelemetry-instrument (distro) + openai-v2, no session key at all",
            None,
            None,
            {
                **_V2_ENV,
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only",
                "OTEL_SERVICE_NAME": "weather-agent",
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_LOGS_EXPORTER": "otlp",
                "OTEL_METRICS_EXPORTER": "none",
            },
            notes="keyless: the session is the group:<first trace> of --group-by service-user-gap",
            tool_spans=False,
        ),
        Capture(
            "openinference-openai",
            OPENINFERENCE_OPENAI,
            (_PY, "openai_chat.py", "--instrumentation", "openinference", "--stream"),
            "OpenInference openai instrumentor, using_session, streamed",
            "capture-openinference-openai",
            "session.id",
            streamed=True,
            tool_spans=False,
        ),
        Capture(
            "openinference-openai-genai",
            OPENINFERENCE_OPENAI,
            (_PY, "openai_chat.py", "--instrumentation", "openinference"),
            "OpenInference openai with OPENINFERENCE_ENABLE_GENAI_SEMCONV (dual keys)",
            "capture-openinference-openai-genai",
            "session.id",
            {"OPENINFERENCE_ENABLE_GENAI_SEMCONV": "true"},
            tool_spans=False,
        ),
        Capture(
            "openai-agents",
            OPENAI_AGENTS,
            (_PY, "openai_agents_app.py"),
            "OpenAI Agents SDK (chat completions) + OpenInference, SQLiteSession, group_id",
            "capture-openai-agents",
            "session.id",
        ),
        Capture(
            "langgraph-create-agent",
            LANGGRAPH,
            (_PY, "langgraph_app.py"),
            "LangChain v1 create_agent (LangGraph) + ChatOpenAI + OpenInference langchain",
            "capture-langgraph-create-agent",
            "session.id",
        ),
        Capture(
            "langgraph-create-agent-async",
            LANGGRAPH,
            (_PY, "langgraph_app.py", "--async"),
            "the same LangGraph agent with an async tool, run with ainvoke (asyncio tasks)",
            "capture-langgraph-create-agent-async",
            "session.id",
        ),
        Capture(
            "pydantic-ai",
            PYDANTIC_AI,
            (_PY, "pydantic_ai_app.py"),
            "pydantic-ai built-in instrumentation (Agent.instrument_all()), conversation_id",
            "capture-pydantic-ai",
            "gen_ai.conversation.id",
        ),
        Capture(
            "pydantic-ai-stream",
            PYDANTIC_AI,
            (_PY, "pydantic_ai_app.py", "--stream"),
            "pydantic-ai built-in instrumentation, run_stream (streamed with usage)",
            "capture-pydantic-ai-stream",
            "gen_ai.conversation.id",
            streamed=True,
        ),
        Capture(
            "llamaindex",
            LLAMAINDEX,
            (_PY, "llamaindex_app.py"),
            "LlamaIndex FunctionAgent (streams) + llms-openai + OpenInference llama-index",
            "capture-llamaindex",
            "session.id",
            streamed=True,
        ),
        Capture(
            "crewai",
            CREWAI,
            (_PY, "crewai_app.py"),
            "CrewAI native tracing (telemetry_session + OTLP/HTTP exporter), one kickoff a turn",
            "capture-crewai",
            "gen_ai.conversation.id",
            {"CREWAI_TRACING_ENABLED": "false", "CREWAI_DISABLE_TELEMETRY": "true"},
        ),
        Capture(
            "crewai-openinference",
            CREWAI,
            (_PY, "crewai_app.py", "--openinference"),
            "CrewAI traced by OpenInference crewai + openai instrumentors, using_session",
            "capture-crewai-openinference",
            "session.id",
            {"CREWAI_TRACING_ENABLED": "false", "CREWAI_DISABLE_TELEMETRY": "true"},
        ),
        Capture(
            "strands",
            STRANDS,
            (_PY, "strands_app.py"),
            "Strands Agents built-in tracing, OpenAI provider (streams), trace_attributes",
            "capture-strands",
            "session.id",
            streamed=True,
        ),
        Capture(
            "google-adk",
            GOOGLE_ADK,
            (_PY, "google_adk_app.py"),
            "Google ADK built-in tracing (content on spans), OpenAI via LiteLlm, ADK session",
            "capture-google-adk",
            "gen_ai.conversation.id",
            {
                **_V2_ENV,
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            },
        ),
        Capture(
            "node-openai",
            NODE_OPENAI,
            ("node", "openai_app.cjs"),
            "Node openai + @opentelemetry/instrumentation-openai, content in log records",
            "capture-node-openai",
            "session.id",
            _NODE_ENV,
            tool_spans=False,
        ),
        Capture(
            "node-openai-stream",
            NODE_OPENAI,
            ("node", "openai_app.cjs", "--stream"),
            "Node openai + @opentelemetry/instrumentation-openai, log records, streamed",
            "capture-node-openai-stream",
            "session.id",
            _NODE_ENV,
            streamed=True,
            tool_spans=False,
        ),
        Capture(
            "vercel-ai-sdk",
            VERCEL_AI,
            ("node", "vercel_ai_app.cjs"),
            "Vercel AI SDK v6 generateText, experimental_telemetry with metadata.sessionId",
            "capture-vercel-ai-sdk",
            "ai.telemetry.metadata.sessionId",
            _NODE_ENV,
        ),
        Capture(
            "vercel-ai-sdk-stream",
            VERCEL_AI,
            ("node", "vercel_ai_app.cjs", "--stream"),
            "Vercel AI SDK v6 streamText, experimental_telemetry with metadata.sessionId",
            "capture-vercel-ai-sdk-stream",
            "ai.telemetry.metadata.sessionId",
            _NODE_ENV,
            streamed=True,
        ),
    )
}
