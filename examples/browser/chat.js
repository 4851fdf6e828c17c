import { guardFetch } from "promptfence";

// Your chat endpoint (e.g. the Worker proxy); `?endpoint=` overrides it.
const endpoint = new URLSearchParams(location.search).get("endpoint") ?? "/v1/chat/completions";
const status = document.getElementById("status");

// Requests to the endpoint are screened first: block → rejected, warn → onWarn, then sent.
const screenedFetch = guardFetch(fetch, {
  endpoints: [endpoint],
  onWarn: (decision) => (status.textContent = `Sent with a warning (risk ${decision.score}/100).`),
});

document.getElementById("chat").addEventListener("submit", async (event) => {
  event.preventDefault();
  status.textContent = "";
  status.dataset.kind = "";
  try {
    const response = await screenedFetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: document.getElementById("prompt").value }],
      }),
    });
    const answer = await response.json();
    document.getElementById("answer").textContent = answer.choices[0].message.content;
  } catch (e) {
    if (e.code !== "BLOCKED") throw e;
    status.dataset.kind = "blocked";
    status.textContent = `Blocked before sending: ${e.findings.map((f) => f.ruleId).join(", ")}`;
  }
});
