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

/**
 * The objects met so far, to refuse shared references and cycles. A payload
 * has a few dozen objects at most as a rule: a plain array searched from the
 * end is several times cheaper than a Set for those (a Set per call was a
 * third of the walk's cost, 1 KB records); past SMALL it becomes a Set.
 */
class Seen {
  private list: object[] | undefined = [];
  private set: Set<object> | undefined;

  /** False when x was met before. */
  add(x: object): boolean {
    const list = this.list;
    if (list) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i] === x) return false;
      if (list.length < SMALL) {
        list.push(x);
        return true;
      }
      this.set = new Set(list);
      this.list = undefined;
    }
    // One hash operation, not has() then add(): about a third cheaper for large payloads.
    const set = this.set!;
    const size = set.size;
    return set.add(x).size !== size;
  }
}
const SMALL = 48;

export function isJsonExact(value: unknown): boolean {
  return typeof value === 'object' && value !== null ? exactObject(value, new Seen(), 0) : false;
}

/**
 * A leaf in place (strings, booleans, finite numbers other than -0, null),
 * an object or array by recursion: a call per object rather than per value
 * (records are mostly leaves).
 */
function exactObject(x: object, seen: Seen, depth: number): boolean {
  if (depth >= MAX_DEPTH || !seen.add(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto === ARRAY_PROTO) {
    const a = x as unknown[];
    const n = a.length;
    // A hole reads as undefined, which is refused below; v8 keeps named properties of an array, JSON drops them.
    for (let i = 0; i < n; i++) if (!exactIn(a[i], seen, depth)) return false;
    return Object.keys(a).length === n;
  }
  if (proto !== OBJECT_PROTO && proto !== null) return false;
  const o = x as Record<string, unknown>;
  for (const k in o) if (!exactIn(o[k], seen, depth)) return false;
  return true;
}

function exactIn(v: unknown, seen: Seen, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      // Finite (v - v is NaN for NaN and ±Infinity), and not -0.
      return v - v === 0 && (v !== 0 || 1 / v > 0);
    case 'object':
      return v === null || exactObject(v, seen, depth + 1);
    default:
      return false;
  }
}
