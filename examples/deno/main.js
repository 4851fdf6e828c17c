import { createChatProxy } from "promptfence";

const proxy = createChatProxy({
  upstream: Deno.env.get("UPSTREAM_URL") ?? "https://api.openai.com",
  redact: true,
  canaries: Deno.env.get("CANARY") ? [Deno.env.get("CANARY")] : [],
});

Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT") ?? 8000) }, proxy);
