// Subjects measured in turn, round by round (bench/messaging.js, bench/messaging-ab.js):
// load from outside the bench hits a round's subjects alike, so a subject is compared
// with a reference round by round. Its figure is the median of its per-round ratios, not
// the ratio of two medians: a load swing is in both terms of a round's own ratio, while
// the two medians may come from different rounds, run under different load.

import { median as medianOrNull } from './time.js';

/** Median of the finite values (time.js's); NaN when there is none. */
export const median = (xs) => medianOrNull(xs) ?? NaN;

/** First and third quartile of the finite values (nearest rank). */
export function quartiles(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return [s[Math.floor(s.length / 4)], s[Math.floor((3 * s.length) / 4)]];
}

/** value(rows[i]) / value(ref[i]) for each round i both measured. */
export function pairedRatios(rows, ref, value = (m) => m.rps) {
  const n = Math.min(rows.length, ref.length);
  return Array.from({ length: n }, (_, i) => value(rows[i]) / value(ref[i]));
}

/** Which subject runs k-th in a round: the order rotates every round, so each subject takes each place as often. */
export const rotatedIndex = (k, round, n) => (k + round) % n;
