// Shared by every entry point (index.js, node.js, workerd.js): initialises the wasm module
// once and hands out engines. Each entry only says where the module's bytes come from.
import initWasm, { initSync as initWasmSync, Fence, version } from "./promptfence.js";

/**
 * The error every promptfence call throws. `code` is stable (INVALID_INPUT, INPUT_TOO_LARGE,
 * INVALID_RULE_PACK, INVALID_OPTION, BLOCKED); `findings` is set when `check()` blocks.
 * Errors made inside the wasm module are plain `Error`s named "FenceError" with a `code`;
 * `instanceof FenceError` recognises them too.
 */
export class FenceError extends Error {
  constructor(code, message, findings) {
    super(message);
    this.name = "FenceError";
    this.code = code;
    if (findings !== undefined) this.findings = findings;
  }

  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === "FenceError" && typeof value.code === "string";
  }
}

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

  return { init, initSync, createFence };
}

export { Fence, version };
