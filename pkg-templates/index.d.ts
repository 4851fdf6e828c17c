// Types of the promptfence npm package. Written by hand; `make test-js` compiles the README's
// example against them with `tsc --strict --noEmit`.

/** What a scan decides: `warn` and `block` are both "flagged". */
export type Verdict = "allow" | "warn" | "block";

/** The kind of threat or sensitive data a finding is about. */
export type Category =
  | "injection"
  | "jailbreak"
  | "prompt_leak"
  | "exfiltration"
  | "code_injection"
  | "obfuscation"
  | "pii"
  | "secret";

export type Severity = "low" | "medium" | "high" | "critical";

/** Presets of thresholds and work per scan. */
export type Profile = "fast" | "balanced" | "paranoid";

/** Stable error codes: branch on these, not on messages. */
export type FenceErrorCode =
  | "INVALID_INPUT"
  | "INPUT_TOO_LARGE"
  | "INVALID_RULE_PACK"
  | "INVALID_OPTION"
  /** The embedded model (rules/model.bin) could not be read: a broken build, not your input. */
  | "INVALID_MODEL"
  | "BLOCKED";

/** One rule as written in a pack (YAML/JSON keys). */
export interface RuleSpec {
  id: string;
  category: Category;
  severity?: Severity;
  score?: number;
  description: string;
  message?: string;
  keywords?: string[];
  patterns: string[];
  views?: string[];
  examples?: { match?: string[]; no_match?: string[] };
}

/** A custom rule pack, as an object (the YAML/JSON text form is a plain string). */
export interface RulePackObject {
  name?: string;
  description?: string;
  rules: RuleSpec[];
}

export interface FenceOptions {
  /** Default `"balanced"`. */
  profile?: Profile;
  /** Overrides the profile's thresholds: 0 < warn <= block <= 100. */
  thresholds?: { warn: number; block: number };
  /** Only these categories are reported. Default: all. */
  categories?: Category[];
  /** Rule ids, or prefixes ending in `.`, that never report. */
  disabledRules?: string[];
  /** Extra rule packs: YAML or JSON text, or objects. Validated as a whole. */
  rules?: Array<string | RulePackObject>;
  /** Whether the built-in packs run (default true). */
  embeddedRules?: boolean;
  /** Largest input scanned, in UTF-8 bytes. Default 1 MiB. */
  maxInputBytes?: number;
  /** Over the limit: `"refuse"` (default, throws INPUT_TOO_LARGE) or `"scanPrefix"`. */
  oversize?: "refuse" | "scanPrefix";
}

/** One reason a text was flagged. `text.slice(start, end)` is the matched text. */
export interface Finding {
  /** Stable id of the rule or detector, e.g. `injection.override.ignore_previous`. */
  ruleId: string;
  category: Category;
  severity: Severity;
  /** 0–100, after context adjustments. */
  score: number;
  /** UTF-16 index (JavaScript string index) where the match starts. */
  start: number;
  /** UTF-16 index just past the match. */
  end: number;
  /** The matched text (shortened when long). */
  excerpt: string;
  /** The view the match was found in: `normalized`, `skeleton`, `despaced`, `base64`, ... */
  view: string;
  /** Why this was flagged, in one sentence. */
  message: string;
}

export interface ScanStats {
  /** UTF-8 bytes scanned. */
  bytes: number;
  /** Views built and scanned. */
  views: string[];
  /** Invisible, bidi and tag characters removed. */
  hiddenCharacters: number;
  /** Whether the input was cut at `maxInputBytes` (only with `oversize: "scanPrefix"`). */
  truncated: boolean;
}

export interface Report {
  verdict: Verdict;
  /** Risk score 0–100. */
  score: number;
  /** `verdict !== "allow"`. */
  flagged: boolean;
  /** Strongest first. */
  findings: Finding[];
  stats: ScanStats;
}

export interface RuleInfo {
  id: string;
  category: Category;
  severity: Severity;
  score: number;
  description: string;
  /** The pack the rule came from (`injection.yaml`, `rules[0]`, ...). */
  source: string;
}

/** One chat turn, as OpenAI / Anthropic style message lists carry it. */
export interface Message {
  /**
   * `system`/`developer` (trusted, not scanned), `user`/`human`, `assistant`/`model`, and
   * `tool`/`function`/`document`/`retrieved` (untrusted content: attacks found there weigh more).
   */
  role: "system" | "developer" | "user" | "assistant" | "tool" | "function" | (string & {});
  content: string;
}

/** `scanMessages`: the verdict over the conversation, and one report per message. */
export interface ConversationReport {
  verdict: Verdict;
  /** The strongest message's score. */
  score: number;
  flagged: boolean;
  /** Same order as the input; a message's spans index into its own `content`. */
  messages: Array<{
    index: number;
    /** The role as given. */
    role: string;
    /** `null` for system messages, which are trusted and not scanned. */
    report: Report | null;
  }>;
}

/** What happens to one kind of value: `[EMAIL_1]`, `[EMAIL_5f2c9a01]`, deleted, or left. */
export type RedactMode = "mask" | "hash" | "remove" | "leave";

/** Kinds of personal data and secrets (finding ids are `pii.<kind>` / `secret.<kind>`). */
export type EntityKind =
  | "email"
  | "phone"
  | "credit_card"
  | "iban"
  | "ssn"
  | "ip_address"
  | "aws_access_key_id"
  | "aws_secret_access_key"
  | "github_token"
  | "openai_key"
  | "anthropic_key"
  | "slack_token"
  | "stripe_key"
  | "google_api_key"
  | "jwt"
  | "private_key"
  | "password_assignment";

/** What `redact` replaces and how. */
export interface RedactOptions {
  /** Mode for every kind not in `modes`. Default `"mask"`. */
  mode?: RedactMode;
  /** Per-kind modes, e.g. `{ ip_address: "leave" }`. */
  modes?: Partial<Record<EntityKind, RedactMode>>;
  /** Which categories are redacted. Default both: `["pii", "secret"]`. */
  categories?: Array<"pii" | "secret">;
  /** Key of the `hash` mode: 32 hex digits. Set your own (the default key is public). */
  hashKey?: string;
  /** Continue this vault: the same value keeps its placeholder across calls. Not modified. */
  vault?: Vault;
}

/** One value a redaction replaced. */
export interface VaultEntry {
  placeholder: string;
  /** The original value: treat the vault like the data itself. */
  value: string;
  kind: EntityKind;
}

/**
 * The originals behind the placeholders. Plain JSON data (`JSON.stringify` it to keep it
 * between a request and its answer); the CLI's `redact --vault` file has the same shape.
 */
export interface Vault {
  entries: VaultEntry[];
  /** Last number used per placeholder label (`EMAIL` → 2). */
  numbers: Record<string, number>;
}

export interface Redaction {
  /** The text with the values replaced. */
  text: string;
  /** The values found (replaced, removed or left as the modes say); spans index into the input. */
  findings: Finding[];
  /** The vault to unmask the answer with (the given one, continued). */
  vault: Vault;
}

/** `scanOutput`: a model's answer checked for leaks, exfiltration links, PII and secrets. */
export interface OutputReport extends Report {
  /** Whether the answer repeats a substantial part of `systemPrompt`. */
  leaksSystemPrompt: boolean;
}

export interface OutputOptions {
  /** The system prompt, so that a verbatim or near-verbatim leak is found. */
  systemPrompt?: string;
  /** Canary tokens planted in the prompt (see `generateCanary`); any in the answer blocks. At least 8 characters. */
  canaries?: string[];
  /** Domains links and images may point to (subdomains included); others are reported. */
  allowedDomains?: string[];
}

/**
 * Screens an answer that arrives in chunks, with a bounded window: findings come out as soon as
 * they are certain, spans are indices in the whole stream. Build with `fence.stream(options)`
 * or `new StreamScanner(fence, options)`.
 */
export declare class StreamScanner {
  constructor(fence: Fence, options?: OutputOptions);
  /** Feeds the next chunk; returns findings that became certain with it. */
  push(chunk: string): Finding[];
  /** Ends the stream and returns the report over all of it. Throws if called twice. */
  finish(): OutputReport;
  /** The verdict so far: stop the stream as soon as it is `block`. */
  readonly verdict: Verdict;
  /** The risk score so far. */
  readonly score: number;
  /** UTF-8 bytes seen so far. */
  readonly bytes: number;
  /** Frees the scanner's wasm memory now (otherwise when garbage-collected). */
  free(): void;
}

/** Unmasks a streamed answer: a placeholder split across chunks is held back until complete. */
export declare class Unmasker {
  /** Throws FenceError `INVALID_INPUT` when `vault` is not a vault (object or its JSON text). */
  constructor(vault: Vault | string);
  /** Takes the next chunk; returns the unmasked text that is ready (maybe ""). */
  push(chunk: string): string;
  /** Ends the stream; returns what was held back. */
  finish(): string;
  free(): void;
}

/** A compiled engine. Build it once (`createFence`) and reuse it. */
export declare class Fence {
  /** Needs the module initialised first (`init`, `initSync` or any `createFence`). */
  constructor(options?: FenceOptions);
  /** Screens one text. Throws FenceError for non-strings, lone surrogates, oversize input. */
  scan(text: string): Report;
  /** Like `scan`, but throws a FenceError with code `BLOCKED` and the findings on `block`. */
  check(text: string): Report;
  /** The rules this engine runs. */
  rules(): RuleInfo[];
  /** Scans a chat transcript message by message according to role. */
  scanMessages(messages: Message[]): ConversationReport;
  /** Screens a model's answer: canaries, a leaked system prompt, exfiltration links, PII, secrets. */
  scanOutput(text: string, options?: OutputOptions): OutputReport;
  /** Replaces PII and secrets with placeholders; the vault puts them back. */
  redact(text: string, options?: RedactOptions): Redaction;
  /** Puts the originals back into a text that contains placeholders from `vault`. */
  unmask(text: string, vault: Vault | string): string;
  /** A scanner for a streamed answer. */
  stream(options?: OutputOptions): StreamScanner;
  readonly profile: Profile;
  readonly maxInputBytes: number;
  /** Frees the engine's wasm memory now (otherwise when garbage-collected). */
  free(): void;
}

export declare class FenceError extends Error {
  constructor(code: FenceErrorCode, message: string, findings?: Finding[]);
  readonly name: "FenceError";
  readonly code: FenceErrorCode;
  /** Set when something was blocked (`check()`, `guardFetch`). */
  readonly findings?: Finding[];
  /** Set when something was blocked: the risk score. */
  readonly score?: number;
  /** Set when `guardFetch` blocked a request: the decision behind it. */
  readonly decision?: ChatDecision;
}

/** Where the wasm module comes from, for `init`. */
export type ModuleSource =
  | URL
  | string
  | Response
  | BufferSource
  | WebAssembly.Module
  | Promise<URL | string | Response | BufferSource | WebAssembly.Module>;

/** Initialises the module once (idempotent). Default source: the entry point's own. */
export declare function init(source?: ModuleSource): Promise<void>;
/** Initialises the module synchronously from bytes or a compiled module (Workers). */
export declare function initSync(source: BufferSource | WebAssembly.Module): void;
/** Initialises the module if needed and builds an engine. Rejects with FenceError on bad options. */
export declare function createFence(options?: FenceOptions): Promise<Fence>;
/** The engine's version. */
export declare function version(): string;
/** A fresh canary token (`pfc-` and 24 hex digits) to plant in a system prompt. */
export declare function generateCanary(): string;

// ---- chat APIs: request bodies, answers, fetch ----

/** A finding in a chat body, with where it was found. */
export interface ChatFinding extends Finding {
  /** Index in `body.messages` (spans index into that message's text part). */
  messageIndex: number;
  /** The role the text was scanned as: `tool` for Anthropic `tool_result` blocks, `document` for text documents. */
  role: string;
  /** Index of the content part in `content`, or `null` when `content` is a string. */
  part: number | null;
}

export interface ChatScreenOptions {
  /** Default: a fence shared by these calls, from `createFence()`. */
  fence?: Fence;
  /** Mask PII and secrets in user, tool and document text before it is forwarded. Default false. */
  redact?: boolean | RedactOptions;
}

export interface ChatDecision {
  verdict: Verdict;
  score: number;
  /** `verdict === "block"`. */
  blocked: boolean;
  /** Strongest first. */
  findings: ChatFinding[];
  /** The body to forward: a redacted copy when something was redacted, else the body given. Never mutated. */
  body: object;
  /** To unmask the answer; `null` when nothing was redacted (and no vault was continued). */
  vault: Vault | null;
  /** The `scanMessages` report; one entry per text scanned (a message's text parts, tool results). */
  report: ConversationReport;
}

/**
 * Screens an OpenAI chat-completions body (`{ messages: [{ role, content }] }`, content a string or
 * `[{ type: "text", text }]`; `tool`/`function` messages are untrusted) or an Anthropic messages body
 * (`{ system, messages }`, content blocks `text`, `tool_result`, `document`). The body may be given as
 * JSON text. Rejects with FenceError `INVALID_INPUT` for anything else.
 */
export declare function screenChatRequest(body: unknown, options?: ChatScreenOptions): Promise<ChatDecision>;

export interface ResponseScreenOptions extends OutputOptions {
  fence?: Fence;
  /** Placeholders of this vault in the answer are replaced by the originals. */
  vault?: Vault | null;
  /** Called once per finding in the answer. */
  onFinding?: (finding: Finding) => void;
}

/** The error body of a blocked answer (JSON: HTTP 502; streams: the last event, `event: error`). */
export interface OutputBlockedError {
  error: { type: "output_blocked"; code: "BLOCKED"; message: string; findings: Finding[] };
}

/**
 * Takes an upstream fetch Response (JSON or text/event-stream) and returns a new Response whose
 * body is unmasked and screened. SSE is processed event by event, never buffered whole: OpenAI
 * `data: {choices:[{delta:{content}}]}` / `data: [DONE]` and Anthropic `content_block_delta`
 * events. When the verdict becomes `block` the stream ends with `event: error` and an
 * `OutputBlockedError` (a JSON answer becomes HTTP 502 with the same object). Responses that
 * are not ok pass through unchanged.
 */
export declare function screenChatResponse(response: Response, options?: ResponseScreenOptions): Promise<Response>;

export interface GuardFetchOptions {
  /** URL prefixes and RegExps (tested on the absolute URL), or a predicate. */
  endpoints: Array<string | RegExp> | ((url: string) => boolean);
  fence?: Fence;
  /** Redact requests; the answer is then unmasked before the page sees it. */
  redact?: boolean | RedactOptions;
  /** Called when a request is let through with verdict `warn`. */
  onWarn?: (decision: ChatDecision) => void;
}

/**
 * Wraps `fetch`: chat requests to `endpoints` are screened before they leave. `block` → the
 * promise rejects with FenceError `BLOCKED` (with `findings` and `decision`) and nothing is sent;
 * `warn` → `onWarn(decision)` and the request goes on.
 */
export declare function guardFetch(fetchImpl: typeof fetch, options: GuardFetchOptions): typeof fetch;

/** Options of `createChatProxy`: how to reach the model API, and how to screen both ways. */
export interface ChatProxyOptions extends ChatScreenOptions, OutputOptions {
  /**
   * Base URL of the model API; the incoming request's path and query are appended to its path
   * (`https://api.openai.com` + `/v1/chat/completions`).
   */
  upstream: string | URL;
  /** How the upstream is reached. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Set on every upstream request over the client's headers, e.g. the API key kept server-side. */
  headers?: Record<string, string>;
  /** Called with the decision on every chat request, blocked ones included (logging, metrics). */
  onDecision?: (decision: ChatDecision) => void;
}

/**
 * A request handler for an LLM proxy (Workers' `fetch`, `Deno.serve`, Bun): POSTed chat bodies
 * are screened; `block` → HTTP 400 `{ error: { type: "prompt_blocked", code: "BLOCKED", findings } }`
 * and nothing is forwarded; otherwise the body (redacted when asked) goes to the upstream and its
 * answer comes back through `screenChatResponse` (unmasked, screened, streamed), with the headers
 * `promptfence-verdict` and `promptfence-score`. Not JSON or not a chat body → 400 `INVALID_INPUT`;
 * not POST → 405; upstream unreachable → 502 `UPSTREAM_ERROR`; the upstream's own errors pass
 * through. Throws FenceError `INVALID_OPTION` at once on bad options.
 */
export declare function createChatProxy(options: ChatProxyOptions): (request: Request) => Promise<Response>;

// ---- Learning from missed attacks and conversation sessions (src/wasm_learn.rs) ----------

/** What `fence.learn` did. */
export interface Learned {
  /** The index entry that holds the text. */
  id: number;
  /** `false` when a near-duplicate entry of the same category was refreshed instead. */
  added: boolean;
  /** The entry evicted to stay within the index's capacity, if any. */
  evicted: number | null;
}

/** Categories an attack can be learned under. */
export type AttackCategory = Exclude<Category, "pii" | "secret">;

export interface Fence {
  /**
   * Adds a reported attack to this engine's index of known attacks: later texts that are
   * near-variants of it (reworded, reordered, re-cased, re-spaced, look-alike letters) get a
   * `similar.known_attack` finding with the similarity in its message. Throws INVALID_INPUT for
   * texts too short to compare.
   */
  learn(text: string, options?: { category?: AttackCategory }): Learned;
  /** The index as JSON text, for localStorage or a KV store. */
  exportIndex(): string;
  /** Replaces the index with an exported one (text or parsed); returns its entry count. */
  importIndex(index: string | object): number;
  /** Entries in the index. */
  readonly knownAttacks: number;
}

export interface SessionOptions {
  /** User turns read together (1–64, default 6). */
  maxTurns?: number;
  /** Bytes of user text kept (256 to 1048576, default 8192). */
  maxBytes?: number;
  /** Share of the risk a clean turn keeps (0 to below 1, default 0.5). */
  decay?: number;
}

/** What a session says about one turn. */
export interface TurnReport {
  /** Position of the turn in the session, from 1. */
  turn: number;
  role: string;
  /** The strongest of the turn's own verdict and the verdict of the session risk. */
  verdict: Verdict;
  flagged: boolean;
  /** The turn's attack score, with the conversation findings it completes. */
  score: number;
  /** The session risk after this turn, 0–100. */
  risk: number;
  /** The turn alone; `null` for system turns (trusted, not scanned). */
  report: Report | null;
  /**
   * Findings only the recent user turns read together raised at this turn (view
   * `conversation` or `assembled`); their spans index into that joined text.
   */
  conversation: Finding[];
}

/** The serialized state of a session (keep it where you would keep the conversation). */
export interface SessionStateJSON {
  format: "promptfence-session";
  version: 1;
  [key: string]: unknown;
}

/** One conversation screened turn by turn. */
export declare class Session {
  constructor(fence: Fence, options?: SessionOptions);
  /** Scans one turn (`"user"`, `"assistant"`, `"system"`, `"tool"`, ...). */
  push(role: string, text: string): TurnReport;
  readonly risk: number;
  readonly turns: number;
  toJSON(): SessionStateJSON;
  /** Restores a session; bad state throws a FenceError with code INVALID_INPUT. */
  static fromJSON(fence: Fence, state: string | SessionStateJSON): Session;
  free(): void;
}
