// A ready-made LLM proxy handler for edge runtimes (Cloudflare Workers, Deno, Bun, Node's
// fetch-style servers): `(Request) => Promise<Response>`. It screens an OpenAI- or
// Anthropic-shaped chat request before it leaves, answers a blocked one itself (HTTP 400,
// never forwarded), forwards the rest (personal data masked when asked) and streams the
// model's answer back unmasked and screened. All the screening is screenChatRequest /
// screenChatResponse (chat.js); this file only speaks HTTP.
import { FenceError } from "./errors.js";

// Headers that describe one hop, not the request, or that the runtime sets itself.
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "accept-encoding",
  "cookie",
]);

/** `createChatProxy` over the entry point's screenChatRequest / screenChatResponse. */
export function proxyApi({ screenChatRequest, screenChatResponse }) {
  return { createChatProxy: (options) => createChatProxy(options, screenChatRequest, screenChatResponse) };
}

/**
 * Builds the handler. `upstream` is the API's base URL: the incoming request's path and query
 * are appended to it (`https://api.openai.com` + `/v1/chat/completions`). Throws FenceError
 * INVALID_OPTION on bad options, so a misconfigured deployment fails at start, not per request.
 */
const OPTIONS = [
  "upstream",
  "fetch",
  "fence",
  "redact",
  "canaries",
  "systemPrompt",
  "allowedDomains",
  "headers",
  "onDecision",
];

function createChatProxy(options, screenChatRequest, screenChatResponse) {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new FenceError("INVALID_OPTION", "createChatProxy expects an options object with at least `upstream`");
  }
  // A misspelt option (`redcat: true`) would otherwise silently forward unredacted data.
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) {
      throw new FenceError("INVALID_OPTION", `createChatProxy: unknown option \`${key}\` (expected one of: ${OPTIONS.join(", ")})`);
    }
  }
  const {
    upstream,
    fetch: fetchImpl = globalThis.fetch,
    fence,
    redact = false,
    canaries = [],
    systemPrompt,
    allowedDomains,
    headers: extraHeaders = {},
    onDecision,
  } = options;
  let base;
  try {
    base = new URL(upstream);
  } catch {
    throw new FenceError("INVALID_OPTION", `createChatProxy: upstream must be an absolute URL, got ${JSON.stringify(upstream)}`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new FenceError("INVALID_OPTION", `createChatProxy: upstream must be http(s), got ${base.protocol}`);
  }
  if (typeof fetchImpl !== "function") {
    throw new FenceError("INVALID_OPTION", "createChatProxy: fetch must be a function");
  }
  // The engine refuses canaries under 8 characters; say so at start, not on the first answer.
  if (!Array.isArray(canaries) || canaries.some((c) => typeof c !== "string" || c.length < 8)) {
    throw new FenceError("INVALID_OPTION", "createChatProxy: canaries must be an array of strings of at least 8 characters");
  }
  if (typeof extraHeaders !== "object" || extraHeaders === null || Object.values(extraHeaders).some((v) => typeof v !== "string")) {
    throw new FenceError("INVALID_OPTION", "createChatProxy: headers must be an object of header names to strings");
  }
  if (onDecision !== undefined && typeof onDecision !== "function") {
    throw new FenceError("INVALID_OPTION", "createChatProxy: onDecision must be a function");
  }

  return async function handleChatRequest(request) {
    if (request.method !== "POST") {
      return errorResponse(405, "method_not_allowed", "METHOD_NOT_ALLOWED", "Only POST requests with a JSON chat body are forwarded.", { allow: "POST" });
    }
    let body;
    try {
      body = await request.json();
    } catch {
      return errorResponse(400, "invalid_request", "INVALID_INPUT", "The request body is not JSON.");
    }

    let decision;
    try {
      decision = await screenChatRequest(body, { fence, redact });
    } catch (e) {
      // Not a chat body, or too large to screen: refused, never forwarded unscreened.
      if (e instanceof FenceError && (e.code === "INVALID_INPUT" || e.code === "INPUT_TOO_LARGE")) {
        return errorResponse(400, "invalid_request", e.code, e.message);
      }
      // `redact` or `fence` the screening refuses: the deployment's fault, not the client's.
      if (e instanceof FenceError && e.code === "INVALID_OPTION") {
        return errorResponse(500, "proxy_misconfigured", e.code, e.message);
      }
      throw e;
    }
    onDecision?.(decision);
    if (decision.blocked) {
      return json(400, {
        error: {
          type: "prompt_blocked",
          code: "BLOCKED",
          message: `The prompt was blocked (risk score ${decision.score}/100).`,
          findings: decision.findings,
        },
      });
    }

    let answer;
    try {
      answer = await fetchImpl(upstreamUrl(base, request.url), {
        method: "POST",
        headers: forwardedHeaders(request.headers, extraHeaders),
        body: JSON.stringify(decision.body),
        signal: request.signal,
      });
    } catch (e) {
      return errorResponse(502, "upstream_unreachable", "UPSTREAM_ERROR", `The upstream API did not answer: ${e.message}`);
    }
    // The API's own errors go back as they are: no model text to screen in them.
    if (!answer.ok) return withHeaders(answer, {});
    const screened = await screenChatResponse(answer, {
      fence,
      vault: decision.vault,
      canaries,
      systemPrompt,
      allowedDomains,
    });
    return withHeaders(screened, {
      "promptfence-verdict": decision.verdict,
      "promptfence-score": String(decision.score),
    });
  };
}

function upstreamUrl(base, requestUrl) {
  const incoming = new URL(requestUrl);
  const target = new URL(base);
  target.pathname = base.pathname.replace(/\/+$/, "") + incoming.pathname;
  target.search = incoming.search;
  return target;
}

function forwardedHeaders(incoming, extra) {
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (!NOT_FORWARDED.has(name) && !name.startsWith("cf-") && !name.startsWith("x-forwarded-")) {
      out.set(name, value);
    }
  }
  out.set("content-type", "application/json");
  for (const [name, value] of Object.entries(extra)) out.set(name, value);
  return out;
}

/** A copy of `response` with `extra` headers; the body is already decoded by fetch. */
function withHeaders(response, extra) {
  const headers = new Headers(response.headers);
  headers.delete("content-encoding");
  headers.delete("content-length");
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function errorResponse(status, type, code, message, headers = {}) {
  return json(status, { error: { type, code, message } }, headers);
}

function json(status, value, headers = {}) {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
