// Stands in for `node:test` where there is none (workerd, browsers): `test()` registers,
// `run()` runs everything in order and returns a summary the runner checks.
const tests = [];

export function test(name, fn) {
  tests.push({ name, fn });
}
export const it = test;
export default test;

export async function run() {
  const failures = [];
  let passed = 0;
  for (const { name, fn } of tests) {
    try {
      await fn();
      passed += 1;
    } catch (e) {
      failures.push({ name, error: String((e && e.stack) || e) });
    }
  }
  return { total: tests.length, passed, failed: failures.length, failures };
}
