"""CrewAI with its native tracing (crewai.telemetry.tracing, GenAI-semconv shaped spans),
exported by the official OTLP/HTTP span exporter through the host API the library offers
for it (`telemetry_session(..., exporters=[otlp_exporter(endpoint)])`).

With `--openinference` the crew is traced instead as most users trace it: by
openinference-instrumentation-crewai with openinference-instrumentation-openai (CrewAI calls
the `openai` client), the session from `using_session`.

CrewAI is not a chat framework: each user turn is one crew kickoff of a one-agent,
one-task crew whose task is the user's message; the conversation id is the session's
`gen_ai.conversation.id` attribute, shared by both kickoffs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Iterator

from conversation import (
    REQUEST_MODEL,
    SYSTEM_PROMPT,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    USER_TURNS,
    get_weather,
    print_replies,
    session_id,
)
from crewai import LLM, Agent, Crew, Task
from crewai.telemetry.tracing.session import otlp_exporter, telemetry_session
from crewai.tools import tool
from opentelemetry.sdk.resources import Resource


@tool(TOOL_NAME)
def weather_tool(city: str) -> str:
    """Current weather of a city."""
    return get_weather(city)


weather_tool.description = TOOL_DESCRIPTION


@contextlib.contextmanager
def _native_tracing(sid: str) -> Iterator[None]:
    endpoint = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] + "/v1/traces"
    with telemetry_session(
        str(uuid.uuid4()),
        "weather-crew",
        exporters=[otlp_exporter(endpoint)],
        resource=Resource({"service.name": "weather-agent"}),
        attributes={"gen_ai.conversation.id": sid},
    ):
        yield


def main() -> None:
    sid = session_id()
    assert sid is not None
    openinference = "--openinference" in sys.argv
    telemetry = None
    if openinference:
        from openinference.instrumentation import using_session
        from openinference.instrumentation.crewai import CrewAIInstrumentor
        from openinference.instrumentation.openai import OpenAIInstrumentor
        from telemetry import start_telemetry

        telemetry = start_telemetry("weather-agent")
        CrewAIInstrumentor().instrument()
        OpenAIInstrumentor().instrument()
    llm = LLM(
        model=f"openai/{REQUEST_MODEL}",
        base_url=os.environ["OPENAI_BASE_URL"],
        api_key=os.environ["OPENAI_API_KEY"],
        max_retries=0,
    )
    agent = Agent(
        role="weather assistant",
        goal=SYSTEM_PROMPT,
        backstory="You answer weather questions.",
        tools=[weather_tool],
        llm=llm,
    )
    replies: list[str] = []
    for text in USER_TURNS:
        task = Task(description=text, expected_output="A short answer.", agent=agent)
        crew = Crew(agents=[agent], tasks=[task])
        with using_session(sid) if openinference else _native_tracing(sid):
            result = crew.kickoff()
        replies.append(str(result.raw))
    if telemetry is not None:
        telemetry.shutdown()
    print_replies(replies)


if __name__ == "__main__":
    main()
