// Browsers and bundlers (Vite, esbuild, webpack): the module is fetched from
// `promptfence_bg.wasm` beside the glue (`new URL(..., import.meta.url)`, which bundlers follow).
import { entry } from "./core.js";

export { Fence, FenceError, StreamScanner, Unmasker, generateCanary, version } from "./core.js";
export const { init, initSync, createFence, screenChatRequest, screenChatResponse, guardFetch, createChatProxy } = entry(undefined);

// Conversation sessions (src/wasm_learn.rs).
export { Session } from "./core.js";
