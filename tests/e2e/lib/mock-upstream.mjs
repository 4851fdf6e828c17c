// A stand-in for an LLM API, for the end-to-end tests: a Node HTTP server on 127.0.0.1 (free
// port) that records every request it receives and answers OpenAI `/v1/chat/completions` or
// Anthropic `/v1/messages` bodies, as one JSON object or, when the body asks for `stream`, as
// server-sent events cut into small chunks (so placeholders and canaries fall across chunk
// boundaries). By default it echoes the last user message; `reply` sets the next answers.
import { createServer } from "node:http";

/**
 * Starts the mock. Returns `{ url, requests, reply(text), close() }`: `requests` holds
 * `{ method, path, headers, body }` for every request that reached it (body parsed when JSON).
 */
export async function startMockUpstream({ chunkSize = 4 } = {}) {
  const requests = [];
  const replies = [];
  const server = createServer(async (req, res) => {
    // CORS, so a page on another localhost origin can call it (the guardFetch test).
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-allow-headers", "*");
    res.setHeader("access-control-allow-methods", "POST, OPTIONS");
    if (req.method === "OPTIONS") {
      res.writeHead(204);
      res.end();
      return;
    }
    let raw = "";
    for await (const chunk of req) raw += chunk;
    let body = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // recorded as text
    }
    const url = new URL(req.url, "http://127.0.0.1");
    requests.push({ method: req.method, path: url.pathname, headers: req.headers, body });

    if (req.method !== "POST" || typeof body !== "object" || body === null) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { type: "invalid_request_error", message: "expected a JSON body" } }));
      return;
    }
    const anthropic = url.pathname.endsWith("/messages");
    const text = replies.length > 0 ? replies.shift() : `You said: ${lastUserText(body)}`;
    if (body.stream === true) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const pieces = [];
      for (let i = 0; i < text.length; i += chunkSize) pieces.push(text.slice(i, i + chunkSize));
      for (const event of anthropic ? anthropicEvents(pieces) : openAiEvents(pieces)) {
        res.write(event);
        // A short pause between events, so they arrive as separate chunks.
        await new Promise((ok) => setTimeout(ok, 2));
      }
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(anthropic ? anthropicMessage(text) : openAiCompletion(text)));
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    /** The next answers, in order (then back to echoing). */
    reply(...texts) {
      replies.push(...texts);
    },
    close() {
      server.closeAllConnections();
      return new Promise((ok) => server.close(ok));
    },
  };
}

function lastUserText(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const { role, content } = messages[i] ?? {};
    if (role !== "user") continue;
    if (typeof content === "string") return content;
    if (Array.isArray(content)) {
      return content
        .filter((part) => part && part.type === "text")
        .map((part) => part.text)
        .join("\n");
    }
  }
  return "";
}

function openAiCompletion(text) {
  return {
    id: "chatcmpl-mock",
    object: "chat.completion",
    model: "mock",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
  };
}

function* openAiEvents(pieces) {
  const chunk = (delta, finish = null) =>
    `data: ${JSON.stringify({
      id: "chatcmpl-mock",
      object: "chat.completion.chunk",
      model: "mock",
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;
  yield chunk({ role: "assistant", content: "" });
  for (const piece of pieces) yield chunk({ content: piece });
  yield chunk({}, "stop");
  yield "data: [DONE]\n\n";
}

function anthropicMessage(text) {
  return {
    id: "msg_mock",
    type: "message",
    role: "assistant",
    model: "mock",
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
  };
}

function* anthropicEvents(pieces) {
  const event = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  yield event("message_start", { message: { id: "msg_mock", type: "message", role: "assistant", content: [] } });
  yield event("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
  for (const piece of pieces) yield event("content_block_delta", { index: 0, delta: { type: "text_delta", text: piece } });
  yield event("content_block_stop", { index: 0 });
  yield event("message_delta", { delta: { stop_reason: "end_turn" } });
  yield event("message_stop", {});
}

/** Reads an SSE response body and returns the text deltas joined, and every event seen. */
export async function readSse(response) {
  const raw = await response.text();
  const events = [];
  for (const block of raw.split(/\r?\n\r?\n/)) {
    if (block.trim() === "") continue;
    let event = "message";
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    events.push({ event, data: data.join("\n") });
  }
  let text = "";
  for (const { data } of events) {
    if (data === "[DONE]") continue;
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch {
      continue;
    }
    text += parsed?.choices?.[0]?.delta?.content ?? "";
    if (parsed?.type === "content_block_delta") text += parsed.delta?.text ?? "";
  }
  return { raw, events, text };
}
