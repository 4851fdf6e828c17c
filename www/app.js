// The playground: screens the text box as the user types (debounced), draws the findings
// under the text, and shows verdict, score, timings, the redacted text and custom-rule errors.
// Only the package's public API is used, exactly as an application would use it.
import { createFence, version } from "promptfence";
import { examples } from "./examples.js";

const DEBOUNCE_MS = 150;
const $ = (id) => document.getElementById(id);
const ui = {
  text: $("text"),
  backdrop: $("backdrop"),
  tooltip: $("tooltip"),
  example: $("example"),
  profile: $("profile"),
  status: $("status"),
  verdict: $("verdict"),
  score: $("score"),
  meter: $("score-meter"),
  timing: $("timing"),
  findings: $("findings"),
  redacted: $("redacted"),
  rules: $("rules"),
  applyRules: $("apply-rules"),
  removeRules: $("remove-rules"),
  rulesStatus: $("rules-status"),
  rulesError: $("rules-error"),
  version: $("engine-version"),
};

const SAMPLE_PACK = `rules:
  - id: custom.project_codename
    category: exfiltration
    severity: high
    description: Asks about the unreleased project by its codename.
    keywords: [bluebird]
    patterns: ['\\bproject\\s+bluebird\\b']
    examples:
      match: ["tell me everything about Project Bluebird"]
      no_match: ["a bluebird sang"]
`;

let fence = null;
let customPack = null; // the pack text currently applied, or null
let buildMs = 0;
let scans = 0;
const recentMs = [];
let timer = 0;

// --- engine ------------------------------------------------------------------------------

/** Builds an engine for the chosen profile and custom pack; throws FenceError on a bad pack. */
async function buildFence(pack) {
  const t0 = performance.now();
  const next = await createFence({
    profile: ui.profile.value,
    rules: pack === null ? [] : [pack],
  });
  buildMs = performance.now() - t0;
  return next;
}

function replaceFence(next) {
  const old = fence;
  fence = next;
  old?.free();
  recentMs.length = 0;
}

// --- screening ---------------------------------------------------------------------------

function scanNow() {
  clearTimeout(timer);
  if (fence === null) return;
  const text = ui.text.value;
  let report;
  const t0 = performance.now();
  try {
    report = fence.scan(text);
  } catch (e) {
    // Over the size limit or otherwise unscannable: say so, never show a stale "allow".
    showError(e);
    return;
  }
  const ms = performance.now() - t0;
  scans += 1;
  recentMs.push(ms);
  if (recentMs.length > 20) recentMs.shift();
  render(text, report, ms);
}

function scheduleScan() {
  clearTimeout(timer);
  timer = setTimeout(scanNow, DEBOUNCE_MS);
}

function showError(e) {
  ui.status.textContent = `Not screened: ${e.code ?? "ERROR"}: ${e.message}`;
  ui.verdict.textContent = "error";
  ui.verdict.dataset.verdict = "error";
  ui.score.textContent = "–";
  ui.findings.replaceChildren();
  ui.backdrop.replaceChildren(document.createTextNode(ui.text.value));
}

function render(text, report, ms) {
  ui.status.textContent = "";
  ui.verdict.textContent = report.verdict;
  ui.verdict.dataset.verdict = report.verdict;
  ui.score.textContent = String(report.score);
  ui.meter.value = report.score;
  ui.meter.textContent = `${report.score} of 100`;
  document.body.dataset.scans = String(scans);

  const sorted = [...recentMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  ui.timing.textContent =
    `scan ${fmtMs(ms)} (${report.stats.bytes} bytes; views: ${report.stats.views.join(", ")})` +
    ` · median of last ${sorted.length}: ${fmtMs(median)} · engine built in ${fmtMs(buildMs)}` +
    (scans === 1 ? " · the first scan also compiles the regexes of the rules it touches" : "");

  drawHighlights(text, report.findings);
  listFindings(report.findings);
  showRedacted(text);
}

function fmtMs(ms) {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

// --- highlights --------------------------------------------------------------------------

/**
 * Splits the text at every finding boundary and wraps each covered piece in a <mark> naming
 * the findings over it (spans are UTF-16 indices, so `text.slice` is exact).
 */
function drawHighlights(text, findings) {
  const spans = findings
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => f.end > f.start && f.start >= 0 && f.end <= text.length);
  const cuts = new Set([0, text.length]);
  for (const { f } of spans) {
    cuts.add(f.start);
    cuts.add(f.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const nodes = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const [from, to] = [points[k], points[k + 1]];
    const piece = text.slice(from, to);
    const over = spans.filter(({ f }) => f.start <= from && f.end >= to);
    if (over.length === 0) {
      nodes.push(document.createTextNode(piece));
      continue;
    }
    const mark = document.createElement("mark");
    const strongest = over.reduce((a, b) => (b.f.score > a.f.score ? b : a)).f;
    mark.className = strongest.category;
    mark.dataset.findings = over.map(({ i }) => i).join(" ");
    mark.dataset.rules = over.map(({ f }) => f.ruleId).join(" ");
    mark.textContent = piece;
    nodes.push(mark);
  }
  // A trailing newline needs something after it to take up its line.
  if (text.endsWith("\n")) nodes.push(document.createTextNode(" "));
  ui.backdrop.replaceChildren(...nodes);
  ui.backdrop.dataset.findings = JSON.stringify(findings);
}

function fitEditor() {
  ui.text.style.height = "auto";
  ui.text.style.height = `${ui.text.scrollHeight + 2}px`;
}

/** The textarea is on top of the marks, so hovering is hit-tested against their boxes. */
function hover(event) {
  const findings = JSON.parse(ui.backdrop.dataset.findings ?? "[]");
  for (const mark of ui.backdrop.querySelectorAll("mark")) {
    for (const r of mark.getClientRects()) {
      if (event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom) {
        const lines = mark.dataset.findings
          .split(" ")
          .map((i) => findings[Number(i)])
          .map((f) => `${f.ruleId} — ${f.category} (${f.severity}, score ${f.score})`);
        ui.tooltip.textContent = lines.join("\n");
        ui.tooltip.style.left = `${Math.min(event.clientX + 12, window.innerWidth - 300)}px`;
        ui.tooltip.style.top = `${event.clientY + 16}px`;
        ui.tooltip.hidden = false;
        return;
      }
    }
  }
  ui.tooltip.hidden = true;
}

function listFindings(findings) {
  const items = findings.map((f) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = f.ruleId;
    button.title = "Select this span in the text";
    button.addEventListener("click", () => {
      ui.text.focus();
      ui.text.setSelectionRange(f.start, f.end);
    });
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = ` ${f.category} · ${f.severity} · score ${f.score} · found in the ${f.view} view`;
    const why = document.createElement("div");
    why.textContent = `${f.message} “${f.excerpt}”`;
    li.append(button, meta, why);
    return li;
  });
  if (items.length === 0) {
    const li = document.createElement("li");
    li.textContent = "No findings.";
    li.className = "meta";
    items.push(li);
  }
  ui.findings.replaceChildren(...items);
}

function showRedacted(text) {
  try {
    ui.redacted.textContent = fence.redact(text).text;
  } catch (e) {
    ui.redacted.textContent = `(not redacted: ${e.code ?? "ERROR"}: ${e.message})`;
  }
}

// --- controls ----------------------------------------------------------------------------

function fillExamples() {
  const groups = new Map();
  examples.forEach((ex, i) => {
    if (!groups.has(ex.group)) {
      const og = document.createElement("optgroup");
      og.label = ex.group;
      groups.set(ex.group, og);
    }
    const option = document.createElement("option");
    option.value = String(i);
    option.textContent = ex.label;
    groups.get(ex.group).append(option);
  });
  ui.example.append(...groups.values());
}

async function applyRules() {
  const pack = ui.rules.value.trim() === "" ? null : ui.rules.value;
  ui.applyRules.disabled = true;
  try {
    const next = await buildFence(pack);
    customPack = pack;
    replaceFence(next);
    ui.rulesError.textContent = "";
    ui.rules.removeAttribute("aria-invalid");
    const own = next.rules().filter((r) => r.source.startsWith("rules["));
    ui.rulesStatus.textContent =
      own.length === 0
        ? "Built-in rules only."
        : `Applied ${own.length} custom rule${own.length === 1 ? "" : "s"}: ${own.map((r) => r.id).join(", ")}`;
    scanNow();
  } catch (e) {
    // The pack is refused whole; the engine in use stays as it was.
    ui.rulesStatus.textContent = "";
    ui.rulesError.textContent = `${e.code ?? "ERROR"}: ${e.message}`;
    ui.rules.setAttribute("aria-invalid", "true");
  } finally {
    ui.applyRules.disabled = false;
  }
}

async function main() {
  fillExamples();
  ui.rules.value = SAMPLE_PACK;
  ui.text.value = examples[0].text;
  fitEditor();

  ui.text.addEventListener("input", () => {
    fitEditor();
    scheduleScan();
  });
  ui.text.addEventListener("mousemove", hover);
  ui.text.addEventListener("mouseleave", () => (ui.tooltip.hidden = true));
  window.addEventListener("resize", fitEditor);
  ui.example.addEventListener("change", () => {
    const ex = examples[Number(ui.example.value)];
    if (!ex) return;
    ui.text.value = ex.text;
    fitEditor();
    scanNow();
  });
  ui.profile.addEventListener("change", async () => {
    try {
      replaceFence(await buildFence(customPack));
      scanNow();
    } catch (e) {
      showError(e);
    }
  });
  ui.applyRules.addEventListener("click", applyRules);
  ui.removeRules.addEventListener("click", () => {
    ui.rules.value = "";
    applyRules();
  });
  ui.rules.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      applyRules();
    }
  });

  replaceFence(await buildFence(null));
  ui.version.textContent = version();
  document.body.dataset.ready = "true";
  scanNow();
}

main().catch((e) => {
  ui.status.textContent = `The engine did not load: ${e.message}`;
  throw e;
});
