// The createChatProxy types (pkg/index.d.ts) compile the way a user writes them, strict.
import { test } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, copyFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib/runtime.mjs";

test("tests/e2e/types/proxy.ts compiles with tsc --strict against the built package", () => {
  const work = join(root, "test-output", "e2e", "types");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, "node_modules"), { recursive: true });
  symlinkSync(join(root, "pkg"), join(work, "node_modules", "promptfence"));
  copyFileSync(join(root, "tests", "e2e", "types", "proxy.ts"), join(work, "proxy.ts"));
  // Throws (with tsc's diagnostics) when the file does not compile.
  execFileSync(
    join(root, "node_modules", ".bin", "tsc"),
    ["--strict", "--noEmit", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext",
      "--lib", "es2022,dom", "--types", "", "proxy.ts"],
    { cwd: work, stdio: "pipe" },
  );
});
