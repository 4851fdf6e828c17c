// Cloudflare Workers / workerd: the runtime (and wrangler's bundler) import a `.wasm` file as a
// compiled WebAssembly.Module, so the engine is ready as soon as this module is imported.
import wasmModule from "./promptfence_bg.wasm";
import { entry } from "./core.js";

export { Fence, FenceError, StreamScanner, Unmasker, generateCanary, version } from "./core.js";
export const { init, initSync, createFence, screenChatRequest, screenChatResponse, guardFetch, createChatProxy } = entry(() => wasmModule);
initSync(wasmModule);

// Conversation sessions (src/wasm_learn.rs).
export { Session } from "./core.js";
