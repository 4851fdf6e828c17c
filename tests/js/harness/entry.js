// Bundle entry for workerd and browsers: registers every test file, exports `run`.
// scripts/test-js.sh checks that each tests/js/*.test.js is imported here.
import { run } from "node:test";
import "../suite.test.js";
import "../api.test.js";
import "../chat.test.js";
import "../learn-session.test.js";

export { run };
