// Is JSON an exact encoding of this value? In 'v8' mode a payload travels as
// JSON when JSON.parse(JSON.stringify(x)) gives back what v8.deserialize
// would: plain objects and arrays of strings, finite numbers and booleans,
// no shared references (v8 keeps `a[0] === a[1]`, JSON makes two copies).
// For records that is the common case, and JSON.stringify + JSON.parse cost
// about half of v8.serialize + v8.deserialize (docs/messaging-benchmarks.md);
// this walk costs a fraction of JSON.stringify. Anything else (undefined,
// -0, NaN, Infinity, BigInt, Date, Map, Set, typed arrays, class instances,
// holes, named properties on arrays, functions, cycles, very deep values)
// answers false and goes through v8 as before, so nothing changes meaning.

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
/** Deeper values go through v8 (JSON.stringify recurses on the stack). */
const MAX_DEPTH = 64;

export function isJsonExact(value: unknown): boolean {
  return typeof value === 'object' && value !== null ? exact(value, new Set(), 0) : false;
}

function exact(x: unknown, seen: Set<object>, depth: number): boolean {
  if (typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x) && (x !== 0 || 1 / x > 0);
  if (typeof x !== 'object') return false;
  if (x === null) return true;
  if (depth >= MAX_DEPTH || seen.has(x)) return false;
  seen.add(x);
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto === ARRAY_PROTO) {
    const a = x as unknown[];
    const n = a.length;
    // v8 keeps named properties of an array; JSON drops them. Also catches holes.
    if (Object.keys(a).length !== n) return false;
    for (let i = 0; i < n; i++) if (!exact(a[i], seen, depth + 1)) return false;
    return true;
  }
  if (proto !== OBJECT_PROTO && proto !== null) return false;
  const o = x as Record<string, unknown>;
  for (const k in o) if (!exact(o[k], seen, depth + 1)) return false;
  return true;
}
