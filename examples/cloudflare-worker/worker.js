import { createChatProxy } from "promptfence";

let proxy;

export default {
  async fetch(request, env) {
    proxy ??= createChatProxy({
      upstream: env.UPSTREAM_URL, // e.g. https://api.openai.com
      redact: true, // e-mails, phone numbers, keys... leave as [EMAIL_1] and come back restored
      canaries: env.CANARY ? [env.CANARY] : [], // a token planted in your system prompt
      headers: env.UPSTREAM_API_KEY ? { authorization: `Bearer ${env.UPSTREAM_API_KEY}` } : {},
    });
    return proxy(request);
  },
};
