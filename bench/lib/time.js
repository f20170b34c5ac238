// Small timing and statistics helpers.
export const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export const sum = (values) => values.reduce((a, b) => a + b, 0);

/**
 * Resolves when `predicate()` returns a truthy value (which is returned), polling every
 * `intervalMs`; rejects with `what` once `deadline` (epoch ms) has passed.
 */
export async function pollUntil(predicate, { deadline, intervalMs = 50, what = 'condition' }) {
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(Math.min(intervalMs, deadline - Date.now()));
  }
}
