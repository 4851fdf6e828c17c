// The JavaScript API planned for the engine features being built on other branches (DLP,
// redaction, output scanning, streaming). Not shipped in pkg/ and not bound yet: once the
// Rust side lands, src/wasm.rs binds these and they move into index.d.ts unchanged.
import type { Category, Finding, FenceOptions, Report, Verdict } from "./index.js";

/** One chat turn, as OpenAI / Anthropic style message lists carry it. */
export interface Message {
  role: "system" | "user" | "assistant" | "tool" | (string & {});
  content: string;
}

/** `scanMessages`: one report per message, plus the verdict over the conversation. */
export interface ConversationReport {
  verdict: Verdict;
  score: number;
  flagged: boolean;
  /** Same order as the input; a message's spans index into its own `content`. */
  messages: Array<{ index: number; role: string; report: Report }>;
}

/** What `redact` replaces and how. */
export interface RedactOptions {
  /** Categories to mask. Default: `["pii", "secret"]`. */
  categories?: Category[];
  /** `"placeholder"` (default): `[EMAIL_1]`; `"mask"`: `*****` of the same length. */
  style?: "placeholder" | "mask";
}

/**
 * The originals behind the placeholders of one `redact` call. Serializable
 * (`JSON.stringify`) so it can be kept across requests; treat it as secret.
 */
export interface Vault {
  version: 1;
  entries: Array<{ placeholder: string; category: Category; original: string }>;
}

export interface Redaction {
  /** The text with data findings replaced. */
  text: string;
  /** The findings replaced; spans index into the *input* text. */
  findings: Finding[];
  vault: Vault;
}

/** `scanOutput`: what the model answered, checked for leaks and for instructions it passes on. */
export interface OutputReport extends Report {
  /** Whether the answer contains (part of) the system prompt given in the options. */
  leaksSystemPrompt: boolean;
}

export interface OutputOptions {
  /** The system prompt, so that a verbatim or near-verbatim leak is found. */
  systemPrompt?: string;
  /** Canary tokens planted in the prompt; any in the output is a leak. */
  canaries?: string[];
}

/** Incremental scanning of text that arrives in chunks (a model's streamed answer). */
export declare class StreamScanner {
  constructor(fence: FenceWithPlanned, options?: OutputOptions);
  /** Feeds the next chunk; returns findings that became certain with it (spans in the whole stream). */
  push(chunk: string): Finding[];
  /** Ends the stream and returns the report over all of it. */
  finish(): OutputReport;
  /** The verdict so far: a caller can stop the stream as soon as it is `block`. */
  readonly verdict: Verdict;
}

/** The planned methods, added to `Fence`. */
export interface FenceWithPlanned {
  scanMessages(messages: Message[]): ConversationReport;
  scanOutput(text: string, options?: OutputOptions): OutputReport;
  redact(text: string, options?: RedactOptions): Redaction;
  /** Puts the originals back into a text that contains placeholders from `vault`. */
  unmask(text: string, vault: Vault): string;
  stream(options?: OutputOptions): StreamScanner;
}

export type PlannedFenceOptions = FenceOptions;
