// Polling against a deadline instead of sleeping: a test waits exactly as long
// as the condition needs, and fails with a message when it never holds.

/** Generous for a loaded 2-core machine: a worker boots in ~0.2 s when idle. */
export const BOOT_TIMEOUT_MS = 20_000;

/**
 * Calls fn (sync or async) until it returns a truthy value, which is returned.
 * A throw from fn counts as "not yet"; the last one is reported on timeout.
 */
export async function waitFor(fn, { timeoutMs = 10_000, intervalMs = 20, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Rejects when the promise does not settle in time (for awaiting exits and responses). */
export function withTimeout(promise, timeoutMs, message = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${message}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The one place a test may let time pass on purpose: when what is under test is
 * that something does NOT happen ("no line after close"). Polls fn for the whole
 * of `ms` and fails as soon as it returns falsy. Not for waiting until something
 * happens (that is waitFor): a pass only says "not within ms".
 */
export async function holdsFor(fn, ms, { intervalMs = 10, message = 'condition' } = {}) {
  const end = Date.now() + ms;
  for (;;) {
    if (!(await fn())) throw new Error(`${message} stopped holding within ${ms} ms`);
    if (Date.now() >= end) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, end - Date.now()))));
  }
}
