// Stands in for `node:assert/strict` where there is none (workerd, browsers): the assertions
// the suite uses, with the same meaning.
export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

function fail(message, fallback) {
  throw message instanceof Error ? message : new AssertionError(message ?? fallback);
}

function show(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function deepEqualValues(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqualValues(a[k], b[k]));
}

function check(error, expected) {
  if (expected === undefined) return;
  if (typeof expected === "function" && expected.prototype !== undefined && error instanceof expected) return;
  if (expected instanceof RegExp) {
    if (!expected.test(String(error))) fail(undefined, `error ${error} does not match ${expected}`);
    return;
  }
  if (typeof expected === "function") {
    if (expected(error) !== true) fail(undefined, `validation function rejected ${error}`);
    return;
  }
  fail(undefined, "unsupported expectation");
}

function assert(value, message) {
  ok(value, message);
}

export function ok(value, message) {
  if (!value) fail(message, `expected a truthy value, got ${show(value)}`);
}
export function equal(actual, expected, message) {
  if (!Object.is(actual, expected)) fail(message, `${show(actual)} !== ${show(expected)}`);
}
export function notEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail(message, `${show(actual)} === ${show(expected)}`);
}
export function deepEqual(actual, expected, message) {
  if (!deepEqualValues(actual, expected)) fail(message, `${show(actual)} is not deeply equal to ${show(expected)}`);
}
export function match(string, regexp, message) {
  if (typeof string !== "string" || !regexp.test(string)) fail(message, `${show(string)} does not match ${regexp}`);
}
export function throws(fn, expected, message) {
  try {
    fn();
  } catch (e) {
    check(e, expected);
    return;
  }
  fail(message, "missing expected exception");
}
export async function rejects(promiseOrFn, expected, message) {
  try {
    await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    check(e, expected);
    return;
  }
  fail(message, "missing expected rejection");
}

Object.assign(assert, { ok, equal, notEqual, deepEqual, deepStrictEqual: deepEqual, strictEqual: equal, match, throws, rejects, AssertionError });
export { deepEqual as deepStrictEqual, equal as strictEqual };
export default assert;
