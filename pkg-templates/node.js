// Node (>= 18), Deno and Bun: the module is read from disk (Node's fetch does not read file:
// URLs; Deno's would, but warns that a file has no wasm content type).
import { readFile } from "node:fs/promises";
import { entry } from "./core.js";

export { Fence, FenceError, StreamScanner, Unmasker, generateCanary, version } from "./core.js";
// The bytes are compiled here, so that `init` instantiates a compiled module (see core.js).
export const { init, initSync, createFence, screenChatRequest, screenChatResponse, guardFetch, createChatProxy } = entry(
  async () => new WebAssembly.Module(await readFile(new URL("./promptfence_bg.wasm", import.meta.url))),
);

// Conversation sessions (src/wasm_learn.rs).
export { Session } from "./core.js";
