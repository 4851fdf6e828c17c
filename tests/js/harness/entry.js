// Bundle entry for workerd and browsers: registers the suite, exports `run`.
import { run } from "node:test";
import "../suite.test.js";
import "../learn-session.test.js";

export { run };
