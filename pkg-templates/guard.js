// guardFetch: a `fetch` that screens chat requests to the LLM endpoints it is told about before
// they leave (browser pages, workers), and unmasks the answer when it redacted the request.
import { FenceError } from "./errors.js";

const GUARD_OPTIONS = ["endpoints", "fence", "redact", "onWarn"];

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/** `endpoints` as a predicate over absolute URLs. */
function matcher(endpoints) {
  if (typeof endpoints === "function") return (url) => endpoints(url) === true;
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new FenceError(
      "INVALID_OPTION",
      `guardFetch: endpoints must be a non-empty array of URL prefixes and RegExps, or a function, got ${describe(endpoints)}`,
    );
  }
  for (const [i, e] of endpoints.entries()) {
    if (typeof e !== "string" && !(e instanceof RegExp)) {
      throw new FenceError("INVALID_OPTION", `guardFetch: endpoints[${i}] must be a string or a RegExp, got ${describe(e)}`);
    }
  }
  return (url) => endpoints.some((e) => (typeof e === "string" ? url.startsWith(e) : e.test(url)));
}

function absolute(url) {
  try {
    return new URL(url, globalThis.location?.href).href;
  } catch {
    return String(url);
  }
}

/** The request body as text, or undefined when there is none. */
async function bodyText(input, init) {
  const body = init?.body !== undefined ? init.body : input instanceof Request ? await input.clone().text() : undefined;
  if (body === undefined || body === null || typeof body === "string") return body ?? undefined;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new TextDecoder().decode(body);
  if (typeof Blob !== "undefined" && body instanceof Blob) return body.text();
  throw new FenceError(
    "INVALID_INPUT",
    `guardFetch cannot screen a request body of type ${body?.constructor?.name ?? describe(body)}; send the chat body as a string`,
  );
}

function isChatBody(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Array.isArray(value.messages);
}

/** Builds `guardFetch` on the chat screening functions of an entry point. */
export function guardFetchWith(screenChatRequest, screenChatResponse) {
  return function guardFetch(fetchImpl, options) {
    if (typeof fetchImpl !== "function") {
      throw new FenceError("INVALID_OPTION", `guardFetch: the first argument must be a fetch function, got ${describe(fetchImpl)}`);
    }
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new FenceError("INVALID_OPTION", `guardFetch: options must be an object with endpoints, got ${describe(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (!GUARD_OPTIONS.includes(key)) {
        throw new FenceError("INVALID_OPTION", `guardFetch: unknown option \`${key}\` (expected one of: ${GUARD_OPTIONS.join(", ")})`);
      }
    }
    if (options.onWarn !== undefined && typeof options.onWarn !== "function") {
      throw new FenceError("INVALID_OPTION", "guardFetch: onWarn must be a function");
    }
    const matches = matcher(options.endpoints);
    const screenOptions = {};
    if (options.fence !== undefined) screenOptions.fence = options.fence;
    if (options.redact !== undefined) screenOptions.redact = options.redact;

    return async function guardedFetch(input, init) {
      const url = absolute(input instanceof Request ? input.url : input);
      const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
      if (!matches(url) || method === "GET" || method === "HEAD") return fetchImpl(input, init);
      const text = await bodyText(input, init);
      let body;
      try {
        body = text === undefined ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      // Only chat bodies are screened; anything else to the endpoint goes as it is.
      if (!isChatBody(body)) return fetchImpl(input, init);
      const decision = await screenChatRequest(body, screenOptions);
      if (decision.blocked) {
        const rules = [...new Set(decision.findings.map((f) => f.ruleId))].join(", ");
        const error = new FenceError(
          "BLOCKED",
          `request to ${url} blocked (risk score ${decision.score}): ${rules}`,
          decision.findings,
        );
        error.score = decision.score;
        error.decision = decision;
        throw error;
      }
      if (decision.verdict === "warn") options.onWarn?.(decision);
      if (decision.body !== body) {
        const redacted = JSON.stringify(decision.body);
        // The body's length changes: a length set by the caller would no longer be true.
        if (input instanceof Request && init?.body === undefined) {
          const headers = new Headers(input.headers);
          headers.delete("content-length");
          input = new Request(input, { body: redacted, headers });
        } else {
          const headers = new Headers(init?.headers);
          headers.delete("content-length");
          init = { ...init, body: redacted, headers };
        }
      }
      const response = await fetchImpl(input, init);
      if (decision.vault === null) return response;
      const responseOptions = { vault: decision.vault };
      if (options.fence !== undefined) responseOptions.fence = options.fence;
      return screenChatResponse(response, responseOptions);
    };
  };
}
