// The Vercel AI SDK (v6) `generateText` with a tool and `experimental_telemetry` on, the
// session id in telemetry metadata (`sessionId`, the pattern Langfuse documents), over the
// OpenAI provider's chat completions model. The conversation history is the previous turns'
// `response.messages`. With `--stream` each turn is `streamText` (spans `ai.streamText*`,
// with the time to the first chunk).
"use strict";

const { NodeSDK } = require("@opentelemetry/sdk-node");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-proto");

const sdk = new NodeSDK({ serviceName: "weather-agent", traceExporter: new OTLPTraceExporter() });
sdk.start();

const { generateText, streamText, tool, stepCountIs } = require("ai");
const { createOpenAI } = require("@ai-sdk/openai");
const { z } = require("zod");
const { settings, getWeather, printReplies, sessionId } = require("./common.cjs");

async function main() {
  const openai = createOpenAI({
    baseURL: process.env.OPENAI_BASE_URL,
    apiKey: process.env.OPENAI_API_KEY,
  });
  const tools = {
    [settings.toolName]: tool({
      description: settings.toolDescription,
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => JSON.parse(getWeather(city)),
    }),
  };
  const messages = [];
  const replies = [];
  for (const text of settings.userTurns) {
    messages.push({ role: "user", content: text });
    const call = process.argv.includes("--stream") ? streamText : generateText;
    const streaming = call === streamText;
    const result = await call({
      model: openai.chat(settings.requestModel),
      system: settings.systemPrompt,
      messages,
      tools,
      stopWhen: stepCountIs(5),
      maxRetries: 0,
      experimental_telemetry: {
        isEnabled: true,
        functionId: "weather-agent",
        metadata: { sessionId },
      },
    });
    if (streaming) {
      // The operation span ends when the stream's last step is flushed: read it to the end.
      await result.consumeStream();
    }
    const response = await result.response;
    messages.push(...response.messages);
    replies.push(await result.text);
  }
  await sdk.shutdown();
  printReplies(replies);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
