// Assertions for tests that also run in the web-worker extension host, where Node's `assert` is not
// available. Each failure message says what was expected and what was found.
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function ok(value: unknown, message: string): asserts value {
  if (!value) throw new AssertionError(message);
}

export function equal<T>(actual: T, expected: T, message: string): void {
  if (!Object.is(actual, expected)) throw new AssertionError(`${message}: expected ${show(expected)}, got ${show(actual)}`);
}

export function match(actual: string, pattern: RegExp, message: string): void {
  if (!pattern.test(actual)) throw new AssertionError(`${message}: ${show(actual)} does not match ${pattern}`);
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
