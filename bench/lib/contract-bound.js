// What drover's default (v8) mode can reach at best with records, given its contract
// (structured-clone semantics: a payload travels as JSON only when a walk has found
// that JSON encodes it exactly, src/messaging/json-exact.ts): json mode, measured in
// the same rounds, with the walk's cost added at both ends of a round trip.

import { median } from './paired.js';

/**
 * The least any exact check must do: visit every value and test its type as
 * json-exact.ts does (plain object or array; string, boolean, null, a finite number
 * other than -0), without its checks for shared references and cycles (a list of the
 * objects met) or for named properties on arrays (Object.keys of each). Not exact on
 * its own (it accepts `[a, a]` and an array with a named property); the bench times
 * it as the floor of the walk, never uses it to choose an encoding. Cycles end at the
 * same depth limit as json-exact.ts's.
 */
export function typeOnlyWalk(value) {
  return typeof value === 'object' && value !== null && typeOnlyObject(value, 0);
}

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const MAX_DEPTH = 64;

function typeOnlyObject(x, depth) {
  if (depth >= MAX_DEPTH) return false;
  const proto = Object.getPrototypeOf(x);
  if (proto === ARRAY_PROTO) {
    for (let i = 0; i < x.length; i++) if (!typeOnlyIn(x[i], depth)) return false;
    return true;
  }
  if (proto !== OBJECT_PROTO && proto !== null) return false;
  for (const k in x) if (!typeOnlyIn(x[k], depth)) return false;
  return true;
}

// The leaf tests of json-exact.ts's exactIn, on purpose: the floor must test what the walk tests.
function typeOnlyIn(v, depth) {
  const t = typeof v;
  if (t === 'string' || t === 'boolean') return true;
  // Finite (v - v is NaN for NaN and ±Infinity), and not -0.
  if (t === 'number') return v - v === 0 && (v !== 0 || 1 / v > 0);
  return t === 'object' && (v === null || typeOnlyObject(v, depth + 1));
}

/**
 * Round by round, json mode's rate with `walkUs` µs of walking added per round trip
 * (both ends, one in flight: the ends work in turn), against the reference's rate in
 * the same round: 1 / (1 / json + walk) / ref. The median of those ratios, paired as
 * every ratio of the bench (lib/paired.js); rounds either side lacks are left out.
 */
export function jsonPlusWalk(jsonRounds, refRounds, walkUs) {
  const n = Math.min(jsonRounds.length, refRounds.length);
  const ratios = [];
  for (let i = 0; i < n; i++) ratios.push(1 / (1 / jsonRounds[i] + walkUs / 1e6) / refRounds[i]);
  return median(ratios);
}
