// Shared by every entry point (index.js, node.js, workerd.js): initialises the wasm module
// once and hands out engines. Each entry only says where the module's bytes come from.
import initWasm, {
  initSync as initWasmSync,
  Fence,
  StreamScanner,
  Unmasker,
  version,
} from "./promptfence.js";
import { FenceError } from "./errors.js";
import { chatApi } from "./chat.js";
import { proxyApi } from "./proxy.js";

let ready = null;
let initialised = false;

/** Builds the entry point's API around `defaultSource`, which yields the module's bytes. */
export function entry(defaultSource) {
  function init(source) {
    if (initialised) return Promise.resolve();
    if (ready === null) {
      ready = Promise.resolve(source ?? (defaultSource && defaultSource()))
        .then((module_or_path) =>
          // A compiled module is instantiated directly: wasm-bindgen's asynchronous path first
          // asks whether it was given a Request or a Response, and in Node 18-20 merely reading
          // those globals loads the fetch implementation (~20-30 ms of start-up).
          module_or_path instanceof WebAssembly.Module
            ? initWasmSync({ module: module_or_path })
            : initWasm(module_or_path === undefined ? undefined : { module_or_path }),
        )
        .then(() => {
          initialised = true;
        })
        .catch((e) => {
          ready = null;
          throw e;
        });
    }
    return ready;
  }

  function initSync(source) {
    if (initialised) return;
    if (!(source instanceof WebAssembly.Module || ArrayBuffer.isView(source) || source instanceof ArrayBuffer)) {
      throw new FenceError("INVALID_OPTION", "initSync expects the module's bytes or a WebAssembly.Module");
    }
    initWasmSync({ module: source });
    initialised = true;
  }

  async function createFence(options) {
    await init();
    return new Fence(options);
  }

  const chat = chatApi(createFence);
  return { init, initSync, createFence, ...chat, ...proxyApi(chat) };
}

/**
 * A fresh canary token (`pfc-` and 24 hex digits, the engine's format) to plant in a system
 * prompt; `scanOutput`/`screenChatResponse` with `canaries: [token]` then catch it in an answer.
 * Uses the platform's cryptographic generator (wasm32 has no random source of its own).
 */
export function generateCanary() {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return "pfc-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export { Fence, FenceError, StreamScanner, Unmasker, version };

// ---- Learning from missed attacks and conversation sessions (src/wasm_learn.rs) ----------
// `fence.learn(text, { category })`, `fence.exportIndex()`, `fence.importIndex(json)` and
// `fence.knownAttacks` are methods of the wasm `Fence` itself. `Session` pairs a fence with
// the wasm `SessionState` of one conversation.
import { SessionState } from "./promptfence.js";

/**
 * One conversation screened turn by turn: each turn alone, plus the recent user turns read
 * together (attacks split over turns or quoted pieces), with a session risk that rises with
 * findings and halves with each clean turn. `JSON.stringify(session)` (or `toJSON()`) gives
 * the state to keep in a KV store; `Session.fromJSON(fence, state)` restores it.
 */
export class Session {
  #fence;
  #state;

  constructor(fence, options) {
    this.#fence = checkFence(fence);
    this.#state = options?.[RESTORED] ?? new SessionState(options);
  }

  /** Scans one turn (`role`: user, assistant, system, tool, ...) and returns its report. */
  push(role, text) {
    return this.#state.push(this.#fence, role, text);
  }

  /** The session risk, 0–100. */
  get risk() {
    return this.#state.risk;
  }

  /** Turns pushed so far. */
  get turns() {
    return this.#state.turns;
  }

  /** The state as a plain object (what `JSON.stringify` writes). */
  toJSON() {
    return JSON.parse(this.#state.stateJson());
  }

  /** A session restored from `toJSON()` output or its JSON text; bad state throws INVALID_INPUT. */
  static fromJSON(fence, state) {
    checkFence(fence);
    return new Session(fence, { [RESTORED]: SessionState.fromStateJson(state) });
  }

  /** Frees the state's wasm memory now (otherwise when garbage-collected). */
  free() {
    this.#state.free();
  }
}

/** Marks the state `fromJSON` hands to the constructor (not an option callers can pass). */
const RESTORED = Symbol("restored session state");

function checkFence(fence) {
  if (!(fence instanceof Fence)) {
    throw new FenceError("INVALID_OPTION", "Session needs the fence that createFence() returned");
  }
  return fence;
}
