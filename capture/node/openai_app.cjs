// A plain agent on the `openai` npm client (chat completions, a tool loop), traced by
// @opentelemetry/instrumentation-openai with message content on (it goes in log records).
// Each user turn runs under an application span; the session id goes in baggage as
// `session.id` and @opentelemetry/baggage-span-processor copies it onto every span.
// With `--stream` every model call streams (with usage).
"use strict";

const { NodeSDK, tracing, logs } = require("@opentelemetry/sdk-node");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-proto");
const { OTLPLogExporter } = require("@opentelemetry/exporter-logs-otlp-proto");
const { OpenAIInstrumentation } = require("@opentelemetry/instrumentation-openai");
const {
  BaggageSpanProcessor,
  ALLOW_ALL_BAGGAGE_KEYS,
} = require("@opentelemetry/baggage-span-processor");
const api = require("@opentelemetry/api");
const { settings, getWeather, printReplies, sessionId } = require("./common.cjs");

const sdk = new NodeSDK({
  serviceName: "weather-agent",
  spanProcessors: [
    new BaggageSpanProcessor(ALLOW_ALL_BAGGAGE_KEYS),
    new tracing.BatchSpanProcessor(new OTLPTraceExporter()),
  ],
  logRecordProcessors: [new logs.BatchLogRecordProcessor({ exporter: new OTLPLogExporter() })],
  instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
});
sdk.start();

// Required after the SDK started, so the instrumentation patches it.
const { OpenAI } = require("openai");

const TOOLS = [
  {
    type: "function",
    function: {
      name: settings.toolName,
      description: settings.toolDescription,
      parameters: {
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
      },
    },
  },
];

const STREAM = process.argv.includes("--stream");

// One model call; the assistant message (a stream is added up here).
async function complete(client, messages) {
  const request = { model: settings.requestModel, messages, tools: TOOLS };
  if (!STREAM) {
    const response = await client.chat.completions.create(request);
    return response.choices[0].message;
  }
  const stream = await client.chat.completions.create({
    ...request,
    stream: true,
    stream_options: { include_usage: true },
  });
  let content = "";
  const calls = [];
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? "";
      for (const delta of choice.delta.tool_calls ?? []) {
        const call = (calls[delta.index] ??= {
          id: "",
          type: "function",
          function: { name: "", arguments: "" },
        });
        call.id = delta.id ?? call.id;
        call.function.name += delta.function?.name ?? "";
        call.function.arguments += delta.function?.arguments ?? "";
      }
    }
  }
  const message = { role: "assistant", content: content || null };
  if (calls.length > 0) {
    message.tool_calls = calls;
  }
  return message;
}

async function answer(client, messages) {
  for (;;) {
    const message = await complete(client, messages);
    messages.push(message);
    if (!message.tool_calls || message.tool_calls.length === 0) {
      return message.content ?? "";
    }
    for (const call of message.tool_calls) {
      const { city } = JSON.parse(call.function.arguments);
      messages.push({ role: "tool", tool_call_id: call.id, content: getWeather(city) });
    }
  }
}

async function main() {
  const client = new OpenAI({ maxRetries: 0 });
  const tracer = api.trace.getTracer("weather-agent");
  const messages = [{ role: "system", content: settings.systemPrompt }];
  const replies = [];
  const bag = api.propagation.createBaggage({ "session.id": { value: sessionId } });
  const ctx = api.propagation.setBaggage(api.context.active(), bag);
  for (const text of settings.userTurns) {
    messages.push({ role: "user", content: text });
    const reply = await api.context.with(ctx, () =>
      tracer.startActiveSpan("POST /chat", async (span) => {
        try {
          return await answer(client, messages);
        } finally {
          span.end();
        }
      }),
    );
    replies.push(reply);
  }
  await sdk.shutdown();
  printReplies(replies);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
