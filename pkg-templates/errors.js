// The one error type of the package, in a module of its own so that every part of the shim
// (core.js, chat.js, guard.js) can throw it without importing each other.

/**
 * The error every promptfence call throws. `code` is stable (INVALID_INPUT, INPUT_TOO_LARGE,
 * INVALID_RULE_PACK, INVALID_OPTION, INVALID_MODEL, BLOCKED); `findings` is set when something was blocked.
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
