# workerd configuration for the promptfence proxy Worker (`npm run build`, then
# `npx workerd serve config.capnp`). The upstream URL, canary and API key come from the
# environment (UPSTREAM_URL, CANARY, UPSTREAM_API_KEY).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .proxy),
    # "local" lets the proxy reach a model served on this machine (and the tests' mock
    # upstream); a deployment in front of a public API needs only "public".
    (name = "internet", network = (allow = ["public", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const proxy :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "promptfence_bg.wasm", wasm = embed "dist/promptfence_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "UPSTREAM_URL", fromEnvironment = "UPSTREAM_URL"),
    (name = "CANARY", fromEnvironment = "CANARY"),
    (name = "UPSTREAM_API_KEY", fromEnvironment = "UPSTREAM_API_KEY"),
  ],
  globalOutbound = "internet",
);
