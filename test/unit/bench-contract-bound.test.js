// The bound of drover's default mode given its contract (bench/lib/contract-bound.js), as bench/messaging.js renders it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPlusWalk, typeOnlyWalk } from '../../bench/lib/contract-bound.js';
import { isJsonExact } from '../../dist/messaging/json-exact.js';

test('type-only walk: the type tests of json-exact, so it refuses every type JSON cannot carry', () => {
  const exact = [{ a: 1, b: 'x', c: [true, null, 1.5] }, [], {}, Object.assign(Object.create(null), { k: [0] })];
  for (const v of exact) {
    assert.equal(typeOnlyWalk(v), true);
    assert.equal(isJsonExact(v), true);
  }
  const refused = [
    { n: -0 }, { n: NaN }, { n: Infinity }, { u: undefined }, { b: 1n }, { d: new Date(0) }, { m: new Map() }, { s: new Set() },
    { t: new Uint8Array(1) }, { f() {} }, [, 1], new (class Point {})(), 'text', 1, null,
  ];
  for (const v of refused) {
    assert.equal(typeOnlyWalk(v), false, String(v));
    assert.equal(isJsonExact(v), false, String(v));
  }
});

test('type-only walk: not exact on its own (shared references, named array properties), so it only bounds the walk', () => {
  const shared = { x: 1 };
  const named = Object.assign([1, 2], { extra: 'kept by v8, dropped by JSON' });
  for (const v of [[shared, shared], { named }]) {
    assert.equal(typeOnlyWalk(v), true);
    assert.equal(isJsonExact(v), false);
  }
  // A cycle ends at the depth limit instead of overflowing the stack.
  const cycle = { a: 1 };
  cycle.self = cycle;
  assert.equal(typeOnlyWalk(cycle), false);
});

test('json mode plus a walk: round by round 1 / (1 / json rate + walk) against the reference, the median of the rounds', () => {
  // 10 000 round trips/s is 100 µs each; 25 µs of walking makes 125 µs, 8 000/s: 0.8x of a reference at 10 000/s.
  assert.equal(jsonPlusWalk([10_000], [10_000], 25), 0.8);
  // A slow round (5 000/s: 200 + 25 µs) loses less to the same walk: 0.889x; the median of the three rounds is 0.8x.
  assert.equal(jsonPlusWalk([5_000], [5_000], 25).toFixed(3), '0.889');
  assert.equal(jsonPlusWalk([10_000, 5_000, 10_000], [10_000, 5_000, 10_000], 25), 0.8);
  // No walk: json mode's own paired ratio; rounds the reference lacks are left out.
  assert.equal(jsonPlusWalk([11_000, 9_000, 1], [10_000, 10_000], 0), 1);
});
