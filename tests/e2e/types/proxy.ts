// Compiled with `tsc --strict --noEmit` against the built package's index.d.ts by
// tests/e2e/types.test.mjs: the proxy's options and handler type-check as a user writes them.
import { createChatProxy, generateCanary, type ChatDecision, type ChatProxyOptions } from "promptfence";

const canary = generateCanary();
const options: ChatProxyOptions = {
  upstream: new URL("https://api.openai.com"),
  redact: { mode: "mask", categories: ["pii"] },
  canaries: [canary],
  systemPrompt: `You are the billing assistant. ${canary}`,
  allowedDomains: ["example.com"],
  headers: { authorization: "Bearer key" },
  onDecision: (d: ChatDecision) => console.log(d.verdict, d.score, d.findings.map((f) => f.ruleId)),
};
const handle: (request: Request) => Promise<Response> = createChatProxy(options);

export default {
  fetch: (request: Request): Promise<Response> => handle(request),
};

// @ts-expect-error upstream is required
createChatProxy({ redact: true });
