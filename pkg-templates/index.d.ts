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
  readonly profile: Profile;
  readonly maxInputBytes: number;
  /** Frees the engine's wasm memory now (otherwise when garbage-collected). */
  free(): void;
}

export declare class FenceError extends Error {
  constructor(code: FenceErrorCode, message: string, findings?: Finding[]);
  readonly name: "FenceError";
  readonly code: FenceErrorCode;
  /** Set when `check()` blocks. */
  readonly findings?: Finding[];
  /** Set when `check()` blocks: the risk score. */
  readonly score?: number;
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
