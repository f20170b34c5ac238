// Which requests of an openloop run are /burn: about one in `burnEvery`,
// picked by a seeded PRNG (mulberry32), so every subject gets the same
// sequence. Not every burnEvery-th request: with 2 workers and a strictly
// alternating round-robin, i % 10 === 9 is always odd, and every burn would
// land on the same worker (a pathology of the schedule, not of round-robin).
export const BURN_SEED = 0x5eed17;

/** A function that says, request after request, whether the next one burns. */
export function burnPicker(burnEvery, seed = BURN_SEED) {
  let a = seed >>> 0;
  return () => {
    if (!(burnEvery > 0)) return false;
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 < 1 / burnEvery;
  };
}

/** A Uint8Array: 1 where request i burns. */
export function burnSchedule(total, burnEvery, seed = BURN_SEED) {
  const out = new Uint8Array(total);
  const next = burnPicker(burnEvery, seed);
  for (let i = 0; i < total; i++) out[i] = next() ? 1 : 0;
  return out;
}
