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
        .then((module_or_path) => initWasm(module_or_path === undefined ? undefined : { module_or_path }))
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
