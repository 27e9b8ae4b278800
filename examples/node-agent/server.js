// A tiny support agent as an OpenAI-compatible HTTP service, in plain Node.js (v18+), with no
// dependencies: it emits its own OTLP/JSON spans and calls its tools through otel-replay's
// tool playback while a replay drives it. See README.md.
//
//   PORT=8787 node examples/node-agent/server.js
//   otel-replay replay SESSION --agent-url http://127.0.0.1:8787

"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

// The contract with otel-replay (README: "Agents in other languages").
const ENDPOINT_HEADER = "x-otel-replay-otlp-endpoint";
const LIVE_TOOLS_HEADER = "x-otel-replay-live-tools";
const MODEL = "scripted-support";
const SCOPE = { name: "node-agent", version: "0.1.0" };
const RESOURCE = [attribute("service.name", "node-support-agent")];

// ---- tools: what they do for real (outside a replay, or when named live) ----

const TOOLS = {
  check_status: ({ order_id }) => {
    sideEffect("status", order_id);
    return { order_id, status: "in transit" };
  },
  issue_refund: ({ order_id }) => {
    sideEffect("refund", order_id);
    return { order_id, refund: "issued" };
  },
};

function sideEffect(kind, orderId) {
  // Lets a test see whether a tool really ran.
  const folder = process.env.SIDE_EFFECTS_DIR;
  if (folder) fs.writeFileSync(path.join(folder, `${kind}-${orderId}`), String(orderId));
}

// ---- the "model": a scripted stand-in for an LLM ----

function decide(userText) {
  const orderId = (userText.match(/\d+/) || [])[0];
  if (!orderId) return null;
  const name = /refund/i.test(userText) ? "issue_refund" : "check_status";
  return { name, arguments: { order_id: orderId } };
}

function answer(call, result) {
  if (!call) return "Could you tell me your order number?";
  if (call.name === "issue_refund") return `Your refund for order ${call.arguments.order_id} is on its way.`;
  return `Order ${call.arguments.order_id} is ${result && result.status ? result.status : "unknown"}.`;
}

const words = (text) => (text.match(/\S+/g) || []).length;

// ---- spans, written as OTLP/JSON by hand ----

function attribute(key, value) {
  if (typeof value === "number") return { key, value: { intValue: String(value) } };
  return { key, value: { stringValue: typeof value === "string" ? value : JSON.stringify(value) } };
}

const nowNano = () => (BigInt(Date.now()) * 1000000n).toString();

class Trace {
  constructor(traceparent) {
    const found = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent || "");
    this.traceId = found ? found[1] : crypto.randomBytes(16).toString("hex");
    this.remoteParent = found ? found[2] : "";
    this.spans = [];
  }

  start(name, parent, kind, attributes) {
    const span = {
      traceId: this.traceId,
      spanId: crypto.randomBytes(8).toString("hex"),
      parentSpanId: parent ? parent.spanId : this.remoteParent,
      name,
      kind, // 1 internal, 2 server, 3 client
      startTimeUnixNano: nowNano(),
      attributes: Object.entries(attributes || {}).map(([k, v]) => attribute(k, v)),
      status: {},
    };
    this.spans.push(span);
    return span;
  }

  end(span, attributes, error) {
    for (const [k, v] of Object.entries(attributes || {})) span.attributes.push(attribute(k, v));
    if (error) span.status = { code: 2, message: error };
    span.endTimeUnixNano = nowNano();
  }

  traceparent(span) {
    return `00-${this.traceId}-${span.spanId}-01`;
  }

  async export(endpoint) {
    if (!endpoint) return;
    const body = {
      resourceSpans: [{ resource: { attributes: RESOURCE }, scopeSpans: [{ scope: SCOPE, spans: this.spans }] }],
    };
    try {
      const response = await fetch(`${endpoint}/v1/traces`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) console.error(`span export to ${endpoint} failed: HTTP ${response.status}`);
    } catch (error) {
      console.error(`span export to ${endpoint} failed: ${error.message}`); // the answer goes on
    }
  }
}

// ---- one LLM call and one tool call, each in its OTel GenAI span ----

function llmCall(trace, parent, messages, output) {
  const span = trace.start(`chat ${MODEL}`, parent, 3, {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "scripted",
    "gen_ai.request.model": MODEL,
  });
  const outputText = typeof output === "string" ? output : "";
  trace.end(span, {
    "gen_ai.response.model": MODEL,
    "gen_ai.usage.input_tokens": messages.reduce((n, m) => n + words(String(m.content || "")), 0),
    "gen_ai.usage.output_tokens": typeof output === "string" ? words(output) : 5,
    "gen_ai.input.messages": messages.map((m) => ({ role: m.role, parts: [{ type: "text", content: String(m.content || "") }] })),
    "gen_ai.output.messages": [
      typeof output === "string"
        ? { role: "assistant", parts: [{ type: "text", content: outputText }], finish_reason: "stop" }
        : { role: "assistant", parts: [{ type: "tool_call", id: output.id, name: output.name, arguments: output.arguments }], finish_reason: "tool_call" },
    ],
  });
}

async function callTool(trace, parent, call, replay) {
  const span = trace.start(`execute_tool ${call.name}`, parent, 1, {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": call.name,
    "gen_ai.tool.type": "function",
    "gen_ai.tool.call.id": call.id,
    "gen_ai.tool.call.arguments": call.arguments,
  });
  try {
    let result;
    if (replay.endpoint && !replay.liveTools.has(call.name)) {
      result = await playback(replay.endpoint, trace.traceparent(span), call);
    } else {
      result = TOOLS[call.name](call.arguments);
    }
    trace.end(span, { "gen_ai.tool.call.result": result });
    return result;
  } catch (error) {
    trace.end(span, { "error.type": "ToolError" }, error.message);
    throw error;
  }
}

// The recorded result from otel-replay: the tool never runs during a replay.
async function playback(endpoint, traceparent, call) {
  const response = await fetch(`${endpoint}/v1/tools/call`, {
    method: "POST",
    headers: { "Content-Type": "application/json", traceparent },
    body: JSON.stringify({ name: call.name, arguments: call.arguments }),
  });
  const answer = await response.json();
  if (response.ok && "result" in answer) return answer.result;
  if (response.ok && answer.live) return TOOLS[call.name](call.arguments);
  throw new Error(answer.error || `tool playback answered HTTP ${response.status}`);
}

// ---- the service ----

function baggage(header) {
  const entries = {};
  for (const item of (header || "").split(",")) {
    const [key, value] = item.split(";")[0].split("=");
    if (key && value) entries[decodeURIComponent(key.trim())] = decodeURIComponent(value.trim());
  }
  return entries;
}

async function chat(request, body) {
  const replay = {
    endpoint: request.headers[ENDPOINT_HEADER] || process.env.OTEL_REPLAY_OTLP_ENDPOINT || "",
    liveTools: new Set(
      (request.headers[LIVE_TOOLS_HEADER] || process.env.OTEL_REPLAY_LIVE_TOOLS || "")
        .split(",").map((s) => s.trim()).filter(Boolean),
    ),
  };
  const trace = new Trace(request.headers.traceparent);
  // The conversation: the replay's session (W3C baggage), else the caller's X-Session-Id.
  const session = baggage(request.headers.baggage)["session.id"] || request.headers["x-session-id"];
  const root = trace.start("POST /v1/chat/completions", null, 2, {
    "http.request.method": "POST",
    ...(session ? { "session.id": session, "gen_ai.conversation.id": session } : {}),
  });
  const messages = body.messages || [];
  const user = [...messages].reverse().find((m) => m.role === "user");
  let reply;
  let failure = null;
  try {
    const call = decide(user ? String(user.content) : "");
    if (call) {
      call.id = `call_${crypto.randomBytes(6).toString("hex")}`;
      llmCall(trace, root, messages, call);
      const result = await callTool(trace, root, call, replay);
      reply = answer(call, result);
      llmCall(trace, root, [...messages, { role: "tool", content: JSON.stringify(result) }], reply);
    } else {
      reply = answer(null);
      llmCall(trace, root, messages, reply);
    }
  } catch (error) {
    failure = error.message;
  }
  trace.end(root, { "http.response.status_code": failure ? 500 : 200 }, failure);
  // Spans go out before the answer, so the replay has them when the turn ends.
  await trace.export(replay.endpoint || process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (failure) return [500, { error: { message: failure, type: "tool_error" } }];
  return [200, {
    id: `chatcmpl-${crypto.randomBytes(6).toString("hex")}`,
    object: "chat.completion",
    model: MODEL,
    choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }],
  }];
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", async () => {
    let status = 404;
    let payload = { error: { message: `no route ${request.url}: use POST /v1/chat/completions` } };
    if (request.method === "POST" && request.url.split("?")[0] === "/v1/chat/completions") {
      try {
        [status, payload] = await chat(request, JSON.parse(Buffer.concat(chunks).toString() || "{}"));
      } catch (error) {
        [status, payload] = [400, { error: { message: error.message } }];
      }
    }
    const text = JSON.stringify(payload);
    response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
    response.end(text);
  });
});

server.listen(Number(process.env.PORT || 8787), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
