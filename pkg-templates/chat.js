// Chat screening: request bodies of the OpenAI chat-completions and Anthropic messages APIs are
// taken apart into texts by who wrote them and scanned with `scanMessages`; answers (JSON or a
// text/event-stream) are unmasked and screened with `Unmasker` and `StreamScanner` as they
// arrive. This module only maps API shapes onto the engine: every decision is the engine's.
import { FenceError } from "./errors.js";
import { Unmasker } from "./promptfence.js";
import { guardFetchWith } from "./guard.js";

const REQUEST_OPTIONS = ["fence", "redact"];
const RESPONSE_OPTIONS = ["fence", "vault", "canaries", "systemPrompt", "allowedDomains", "onFinding"];
/** Roles whose text is masked when redaction is on: what the user and the tools contribute. */
const REDACTED_ROLES = new Set(["user", "human", "tool", "function", "document"]);
/** Content parts that carry text, in either API (`input_text` and `output_text` are OpenAI's newer names). */
const TEXT_PARTS = new Set(["text", "input_text", "output_text"]);

function invalid(message) {
  return new FenceError("INVALID_INPUT", message);
}

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkOptions(options, names, what) {
  if (options === undefined || options === null) return {};
  if (!isPlainObject(options)) {
    throw new FenceError("INVALID_OPTION", `${what} must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!names.includes(key)) {
      throw new FenceError("INVALID_OPTION", `${what}: unknown option \`${key}\` (expected one of: ${names.join(", ")})`);
    }
  }
  return options;
}

/**
 * The texts of a chat body, each with the role it is scanned as and the path where it sits
 * (so that a redacted copy can be written back).
 */
function segmentsOf(body) {
  if (!Array.isArray(body.messages)) {
    throw invalid(`body.messages must be an array of messages, got ${describe(body.messages)}`);
  }
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system)) {
    throw invalid(`body.system must be a string or an array of text blocks, got ${describe(body.system)}`);
  }
  const segments = [];
  body.messages.forEach((message, i) => {
    const at = `body.messages[${i}]`;
    if (!isPlainObject(message)) throw invalid(`${at} must be an object { role, content }, got ${describe(message)}`);
    const { role, content } = message;
    if (typeof role !== "string") throw invalid(`${at}.role must be a string, got ${describe(role)}`);
    const push = (segmentRole, text, path, part) =>
      segments.push({ messageIndex: i, role: segmentRole, part, text, path: ["messages", i, ...path] });
    if (typeof content === "string") {
      push(role, content, ["content"], null);
      return;
    }
    if (content === null || content === undefined) {
      // An assistant turn that only calls tools has no text.
      if (role === "assistant") return;
      throw invalid(`${at}.content must be a string or an array of content parts, got ${describe(content)}`);
    }
    if (!Array.isArray(content)) {
      throw invalid(`${at}.content must be a string or an array of content parts, got ${describe(content)}`);
    }
    content.forEach((part, j) => {
      const partAt = `${at}.content[${j}]`;
      if (!isPlainObject(part) || typeof part.type !== "string") {
        throw invalid(`${partAt} must be a content part with a string \`type\`, got ${describe(part)}`);
      }
      if (TEXT_PARTS.has(part.type)) {
        if (typeof part.text !== "string") throw invalid(`${partAt}.text must be a string, got ${describe(part.text)}`);
        push(role, part.text, ["content", j, "text"], j);
      } else if (part.type === "tool_result") {
        // Anthropic: a tool's answer travels in a user turn, and is untrusted like any tool output.
        const inner = part.content;
        if (typeof inner === "string") {
          push("tool", inner, ["content", j, "content"], j);
        } else if (Array.isArray(inner)) {
          inner.forEach((block, k) => {
            if (isPlainObject(block) && block.type === "text") {
              if (typeof block.text !== "string") {
                throw invalid(`${partAt}.content[${k}].text must be a string, got ${describe(block.text)}`);
              }
              push("tool", block.text, ["content", j, "content", k, "text"], j);
            }
          });
        } else if (inner !== undefined && inner !== null) {
          throw invalid(`${partAt}.content must be a string or an array of blocks, got ${describe(inner)}`);
        }
      } else if (part.type === "document" && isPlainObject(part.source) && typeof part.source.data === "string" && part.source.type === "text") {
        // Anthropic: a retrieved plain-text document.
        push("document", part.source.data, ["content", j, "source", "data"], j);
      }
      // Images, audio, files and tool calls carry no text to screen.
    });
  });
  return segments;
}

function setPath(target, path, value) {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
}

/** Rewrites a `messages[k]` error of the engine to the path of the k-th segment in the body. */
function locate(error, segments) {
  const m = /^messages\[(\d+)\](?:\.content)?/.exec(error?.message ?? "");
  const segment = m && segments[Number(m[1])];
  if (!segment) return error;
  const path = "body" + segment.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("");
  error.message = path + error.message.slice(m[0].length);
  return error;
}

function parseBody(body) {
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch (e) {
      throw invalid(`the body is not JSON: ${e.message}`);
    }
  }
  if (!isPlainObject(body)) throw invalid(`the body must be a chat request object, got ${describe(body)}`);
  return body;
}

const byScore = (a, b) => b.score - a.score;

/** Builds the chat API around the entry point's `createFence`. */
export function chatApi(createFence) {
  let shared = null;
  function fenceOf(options) {
    if (options.fence !== undefined) {
      if (typeof options.fence?.scanMessages !== "function") {
        throw new FenceError("INVALID_OPTION", `fence must be a Fence from createFence(), got ${describe(options.fence)}`);
      }
      return options.fence;
    }
    if (shared === null) {
      shared = createFence().catch((e) => {
        shared = null;
        throw e;
      });
    }
    return shared;
  }

  async function screenChatRequest(body, options) {
    options = checkOptions(options, REQUEST_OPTIONS, "screenChatRequest options");
    body = parseBody(body);
    const segments = segmentsOf(body);
    const fence = await fenceOf(options);
    let report;
    try {
      report = fence.scanMessages(segments.map((s) => ({ role: s.role, content: s.text })));
    } catch (e) {
      throw locate(e, segments);
    }
    const findings = [];
    for (const entry of report.messages) {
      const segment = segments[entry.index];
      for (const f of entry.report?.findings ?? []) {
        findings.push({ ...f, messageIndex: segment.messageIndex, role: segment.role, part: segment.part });
      }
    }
    findings.sort(byScore);

    let forward = body;
    let vault = null;
    if (options.redact) {
      const redactOptions = options.redact === true ? {} : options.redact;
      if (!isPlainObject(redactOptions)) {
        throw new FenceError("INVALID_OPTION", `redact must be true or an options object, got ${describe(redactOptions)}`);
      }
      let current = redactOptions.vault ?? null;
      const changes = [];
      for (const [k, segment] of segments.entries()) {
        if (!REDACTED_ROLES.has(segment.role)) continue;
        let r;
        try {
          r = fence.redact(segment.text, { ...redactOptions, vault: current ?? undefined });
        } catch (e) {
          e.message = `messages[${k}]: ${e.message}`;
          throw locate(e, segments);
        }
        current = r.vault;
        if (r.text !== segment.text) changes.push([segment.path, r.text]);
      }
      if (changes.length > 0) {
        forward = JSON.parse(JSON.stringify(body));
        for (const [path, text] of changes) setPath(forward, path, text);
      }
      vault = current && current.entries.length > 0 ? current : null;
    }
    return {
      verdict: report.verdict,
      score: report.score,
      blocked: report.verdict === "block",
      findings,
      body: forward,
      vault,
      report,
    };
  }

  async function screenChatResponse(response, options) {
    options = checkOptions(options, RESPONSE_OPTIONS, "screenChatResponse options");
    if (!response || typeof response !== "object" || typeof response.headers?.get !== "function" || !("body" in response)) {
      throw invalid(`screenChatResponse expects a fetch Response, got ${describe(response)}`);
    }
    if (options.onFinding !== undefined && typeof options.onFinding !== "function") {
      throw new FenceError("INVALID_OPTION", "onFinding must be a function");
    }
    const fence = await fenceOf(options);
    const screen = {
      fence,
      vault: options.vault ?? null,
      output: outputOptions(options),
      onFinding: options.onFinding ?? (() => {}),
    };
    // Check the options once, before any byte is read: a bad vault or canary fails here.
    if (screen.vault !== null) new Unmasker(screen.vault).free();
    fence.stream(screen.output).free();
    if (!response.ok || response.body === null) return response;
    const type = (response.headers.get("content-type") ?? "").toLowerCase();
    if (type.includes("text/event-stream")) return screenEventStream(response, screen);
    if (type.includes("json")) return screenJson(response, screen);
    return screenText(response, screen);
  }

  return {
    screenChatRequest,
    screenChatResponse,
    guardFetch: guardFetchWith(screenChatRequest, screenChatResponse),
  };
}

function outputOptions(options) {
  const out = {};
  if (options.canaries !== undefined) out.canaries = options.canaries;
  if (options.systemPrompt !== undefined) out.systemPrompt = options.systemPrompt;
  if (options.allowedDomains !== undefined) out.allowedDomains = options.allowedDomains;
  return out;
}

function headersOf(response, type) {
  const headers = new Headers(response.headers);
  // The body is re-encoded and its length changes.
  headers.delete("content-length");
  headers.delete("content-encoding");
  if (type) headers.set("content-type", type);
  return headers;
}

/** The error object of a blocked answer (HTTP 502 for JSON, the last SSE event for streams). */
function outputBlocked(findings) {
  const rules = [...new Set(findings.map((f) => f.ruleId))].join(", ");
  return {
    error: {
      type: "output_blocked",
      code: "BLOCKED",
      message: `the answer was blocked: ${rules}`,
      findings,
    },
  };
}

/**
 * One text stream of an answer (a choice, a content block): unmasked, then screened. Findings
 * go to `onFinding` once each.
 */
class Channel {
  constructor(screen) {
    this.unmasker = screen.vault === null ? null : new Unmasker(screen.vault);
    this.scanner = screen.fence.stream(screen.output);
    this.onFinding = screen.onFinding;
    this.findings = [];
    this.seen = new Set();
    this.report = null;
    // With canaries, the newest characters wait until the scanner has read what follows them,
    // so that no part of a planted canary reaches the client before the stream is stopped: a
    // canary match spans at most 10 bytes per character of the token (whitespace may split it)
    // and is reported within 32 bytes after its last character; UTF-16 code units never
    // outnumber bytes, so holding back that many code units is enough.
    const canaries = screen.output.canaries ?? [];
    this.holdBack = canaries.length === 0 ? 0 : Math.max(...canaries.map((c) => String(c).length)) * 10 + 32;
    this.held = "";
  }

  note(findings) {
    for (const f of findings) {
      const key = `${f.ruleId}:${f.start}:${f.end}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.findings.push(f);
      this.onFinding(f);
    }
  }

  /** Unmasks and screens the next piece; returns the text ready to pass on. */
  feed(text) {
    const ready = this.unmasker === null ? text : this.unmasker.push(text);
    if (ready !== "") this.note(this.scanner.push(ready));
    if (this.holdBack === 0) return ready;
    this.held += ready;
    let cut = this.held.length - this.holdBack;
    if (cut <= 0) return "";
    // Never split a surrogate pair.
    const unit = this.held.charCodeAt(cut - 1);
    if (unit >= 0xd800 && unit <= 0xdbff) cut -= 1;
    const out = this.held.slice(0, cut);
    this.held = this.held.slice(cut);
    return out;
  }

  get blocked() {
    return this.scanner.verdict === "block";
  }

  /** Ends the stream: returns what was held back; `report` is then set. */
  end() {
    if (this.report !== null) return "";
    let rest = this.held;
    this.held = "";
    if (this.unmasker !== null) {
      const unmasked = this.unmasker.finish();
      this.unmasker.free();
      this.unmasker = null;
      if (unmasked !== "") this.note(this.scanner.push(unmasked));
      rest += unmasked;
    }
    this.report = this.scanner.finish();
    this.scanner.free();
    this.note(this.report.findings);
    return rest;
  }

  close() {
    this.unmasker?.free();
    if (this.report === null) this.scanner.free();
    this.unmasker = null;
    this.report = {};
  }
}

// ---- JSON answers ----

/** The answer texts of a JSON chat response, as [holder, key] pairs. */
function answerSlots(body) {
  const slots = [];
  if (Array.isArray(body?.choices)) {
    for (const choice of body.choices) {
      const message = choice?.message;
      if (typeof message?.content === "string") slots.push([message, "content"]);
      else if (Array.isArray(message?.content)) {
        for (const part of message.content) if (typeof part?.text === "string") slots.push([part, "text"]);
      }
      if (typeof choice?.text === "string") slots.push([choice, "text"]);
    }
  }
  if (Array.isArray(body?.content)) {
    for (const block of body.content) if (block?.type === "text" && typeof block.text === "string") slots.push([block, "text"]);
  }
  return slots;
}

/** Every string value of a JSON value, as [holder, key] pairs (for answers of unknown shape). */
function stringSlots(value, slots = []) {
  if (Array.isArray(value) || isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      if (typeof value[key] === "string") slots.push([value, key]);
      else stringSlots(value[key], slots);
    }
  }
  return slots;
}

async function screenJson(response, screen) {
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return screenWhole(response, screen, text);
  }
  let slots = answerSlots(body);
  if (slots.length === 0) slots = stringSlots(body);
  const findings = [];
  let blocked = false;
  for (const [holder, key] of slots) {
    const channel = new Channel(screen);
    const shown = channel.feed(holder[key]) + channel.end();
    holder[key] = shown;
    findings.push(...channel.findings);
    blocked ||= channel.report.verdict === "block";
  }
  if (blocked) return blockedJson(response, findings);
  return new Response(JSON.stringify(body), {
    status: response.status,
    statusText: response.statusText,
    headers: headersOf(response),
  });
}

function blockedJson(response, findings) {
  return new Response(JSON.stringify(outputBlocked(findings.sort(byScore))), {
    status: 502,
    headers: headersOf(response, "application/json"),
  });
}

async function screenWhole(response, screen, text) {
  const channel = new Channel(screen);
  const shown = channel.feed(text) + channel.end();
  if (channel.report.verdict === "block") return blockedJson(response, channel.findings);
  return new Response(shown, { status: response.status, statusText: response.statusText, headers: headersOf(response) });
}

// ---- plain text streams ----

function screenText(response, screen) {
  const channel = new Channel(screen);
  return transform(response, {
    onText(text) {
      const ready = channel.feed(text);
      if (channel.blocked) return { blocked: channel.findings };
      return { out: ready };
    },
    onEnd() {
      const rest = channel.end();
      if (channel.report.verdict === "block") return { blocked: channel.findings };
      return { out: rest };
    },
    blockedText: (findings) => `\n\n[promptfence: ${outputBlocked(findings).error.message}]`,
    close: () => channel.close(),
  });
}

// ---- server-sent events ----

/** Splits off the complete events of `buffer` (each ends with a blank line). */
function takeEvents(buffer) {
  const events = [];
  const boundary = /\r\n\r\n|\n\n|\r\r/g;
  let start = 0;
  let m;
  while ((m = boundary.exec(buffer)) !== null) {
    events.push(buffer.slice(start, m.index));
    start = m.index + m[0].length;
  }
  return { events, rest: buffer.slice(start) };
}

function parseEvent(raw) {
  const lines = raw.split(/\r\n|\n|\r/);
  let name = null;
  const data = [];
  const other = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else {
      if (field === "event") name = value;
      other.push(line);
    }
  }
  return { name, data: data.length > 0 ? data.join("\n") : null, other };
}

function formatEvent(other, data) {
  return [...other, ...data.split("\n").map((d) => `data: ${d}`)].join("\n") + "\n\n";
}

function errorEvent(findings) {
  return `event: error\ndata: ${JSON.stringify(outputBlocked(findings.sort(byScore)))}\n\n`;
}

function screenEventStream(response, screen) {
  const channels = new Map();
  const channel = (key, make) => {
    let c = channels.get(key);
    if (c === undefined) {
      c = new Channel(screen);
      c.make = make;
      channels.set(key, c);
    }
    return c;
  };
  let buffer = "";
  const allFindings = () => [...channels.values()].flatMap((c) => c.findings);

  /** Ends `c`; returns the held-back text as an event (or ""), or null when blocked. */
  function endChannel(c) {
    const rest = c.end();
    if (c.report.verdict === "block") return null;
    return rest === "" ? "" : c.make(rest);
  }

  function endAll() {
    let out = "";
    for (const c of channels.values()) {
      if (c.report !== null) continue;
      const flushed = endChannel(c);
      if (flushed === null) return null;
      out += flushed;
    }
    return out;
  }

  function onEvent(raw) {
    const event = parseEvent(raw);
    if (event.data === null) return raw + "\n\n";
    if (event.data.trim() === "[DONE]") {
      const flushed = endAll();
      return flushed === null ? null : flushed + raw + "\n\n";
    }
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return raw + "\n\n";
    }
    let prefix = "";
    if (Array.isArray(data?.choices)) {
      // OpenAI chat-completion chunks: one text stream per choice.
      for (const [n, choice] of data.choices.entries()) {
        const index = choice?.index ?? n;
        const c = channel(`choice:${index}`, (rest) =>
          formatEvent(event.other, JSON.stringify({ ...data, choices: [{ index, delta: { content: rest }, finish_reason: null }] })),
        );
        if (typeof choice?.delta?.content === "string") {
          choice.delta.content = c.feed(choice.delta.content);
          if (c.blocked) return null;
        }
        if (choice?.finish_reason !== null && choice?.finish_reason !== undefined && c.report === null) {
          const flushed = endChannel(c);
          if (flushed === null) return null;
          prefix += flushed;
        }
      }
    } else if (data?.type === "content_block_delta" && data.delta?.type === "text_delta" && typeof data.delta.text === "string") {
      // Anthropic: one text stream per content block.
      const index = data.index ?? 0;
      const c = channel(`block:${index}`, (rest) =>
        formatEvent(event.other, JSON.stringify({ type: "content_block_delta", index, delta: { type: "text_delta", text: rest } })),
      );
      data.delta.text = c.feed(data.delta.text);
      if (c.blocked) return null;
    } else if (data?.type === "content_block_stop") {
      const c = channels.get(`block:${data.index ?? 0}`);
      if (c !== undefined && c.report === null) {
        const flushed = endChannel(c);
        if (flushed === null) return null;
        prefix += flushed;
      }
    } else if (data?.type === "message_stop") {
      const flushed = endAll();
      if (flushed === null) return null;
      prefix += flushed;
    } else {
      return raw + "\n\n";
    }
    return prefix + formatEvent(event.other, JSON.stringify(data));
  }

  return transform(response, {
    onText(text) {
      buffer += text;
      const { events, rest } = takeEvents(buffer);
      buffer = rest;
      let out = "";
      for (const raw of events) {
        const emitted = onEvent(raw);
        if (emitted === null) return { out, blocked: allFindings() };
        out += emitted;
      }
      return { out };
    },
    onEnd() {
      let out = "";
      if (buffer.trim() !== "") {
        const emitted = onEvent(buffer);
        if (emitted === null) return { out, blocked: allFindings() };
        out += emitted;
      }
      buffer = "";
      const flushed = endAll();
      if (flushed === null) return { out, blocked: allFindings() };
      return { out: out + flushed };
    },
    blockedText: errorEvent,
    close: () => {
      for (const c of channels.values()) c.close();
    },
  });
}

/**
 * Reads `response`'s body piece by piece as text and hands each piece to `steps.onText`; what
 * it returns is passed on at once (no whole-stream buffering). When a step reports `blocked`,
 * `steps.blockedText(findings)` ends the stream and the upstream body is cancelled.
 */
function transform(response, steps) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let finished = false;
  const finish = (controller, result) => {
    if (result.out) controller.enqueue(encoder.encode(result.out));
    if (result.blocked) {
      controller.enqueue(encoder.encode(steps.blockedText(result.blocked)));
      reader.cancel("promptfence: output blocked").catch(() => {});
    }
    finished = true;
    steps.close();
    controller.close();
  };
  const body = new ReadableStream({
    async pull(controller) {
      if (finished) return;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            const tail = decoder.decode();
            const result = tail === "" ? { out: "" } : steps.onText(tail);
            if (result.blocked) return finish(controller, result);
            const end = steps.onEnd();
            return finish(controller, { out: (result.out ?? "") + (end.out ?? ""), blocked: end.blocked });
          }
          const result = steps.onText(decoder.decode(value, { stream: true }));
          if (result.blocked) return finish(controller, result);
          if (result.out) {
            controller.enqueue(encoder.encode(result.out));
            return;
          }
        }
      } catch (e) {
        finished = true;
        steps.close();
        reader.cancel(e).catch(() => {});
        controller.error(e);
      }
    },
    cancel(reason) {
      finished = true;
      steps.close();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: headersOf(response),
  });
}
