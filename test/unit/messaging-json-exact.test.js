// The walk of v8 mode that decides JSON or v8 (src/messaging/json-exact.ts), on
// its edge cases: every value it accepts must come back from JSON as v8 would
// give it back (structuredClone here), and every value JSON would change must
// be refused. The frame-level cases (flags, round trips) are in messaging-frame.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { isJsonExact } from '../../dist/messaging/json-exact.js';

/** Accepted, and JSON gives back what structured clone gives back. */
function assertExact(value, what) {
  assert.equal(isJsonExact(value), true, `${what}: expected JSON`);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(value)), structuredClone(value), what);
}

/** Refused: v8 keeps something JSON would lose or change. */
function assertRefused(value, what) {
  assert.equal(isJsonExact(value), false, `${what}: expected v8`);
}

/** The bench's records (bench/messaging.js makePayload): n plain objects, each with a small array. */
const records = (n) => Array.from({ length: n }, (_, i) => ({ id: i, name: `user-${i}`, score: i * 1.5, active: i % 2 === 0, tags: ['a', 'bb', 'ccc'] }));

test('a named property on an array is refused wherever it sits: after many indices, on a nested array, past the walk switching to a Set', () => {
  const long = Array.from({ length: 5000 }, (_, i) => i);
  long.tail = 'kept by v8, dropped by JSON';
  assertRefused(long, 'named property after 5000 indices');
  assertRefused({ rows: [1, 2, long] }, 'the same array nested');
  for (const n of [3, 200]) {
    const rs = records(n);
    rs[n - 1].tags.extra = 1;
    assertRefused(rs, `named property on the last record's tags, ${n} records`);
  }
  // A non-enumerable property is neither in JSON nor in v8's copy: still exact.
  const hidden = [1, 2];
  Object.defineProperty(hidden, 'meta', { value: 1, enumerable: false });
  assertExact(hidden, 'non-enumerable named property');
});

test('a shared reference or a cycle deep in a record is refused, before and after the walk switches to a Set', () => {
  for (const n of [4, 300]) {
    const sharedObject = records(n);
    sharedObject[n - 1].owner = sharedObject[1];
    assertRefused(sharedObject, `an object shared deep in ${n} records`);
    const sharedArray = records(n);
    sharedArray[n - 1].tags = sharedArray[0].tags;
    assertRefused(sharedArray, `an array shared between the first and last of ${n} records`);
    const cycle = records(n);
    cycle[n - 1].tags.push(cycle);
    assertRefused(cycle, `a cycle through the last of ${n} records`);
    assertExact(records(n), `${n} distinct records`);
  }
  // Equal but distinct objects are not shared references.
  assertExact([{ a: [1] }, { a: [1] }], 'equal, distinct objects');
});

test('sparse arrays are refused wherever the hole is; dense ones with null are exact', () => {
  const sparse = [];
  sparse[100_000] = 1;
  assertRefused(sparse, 'one element at a large index');
  assertRefused([1, 2, , ], 'a trailing hole');
  const holeAtEnd = [1, 2, 3];
  holeAtEnd.length = 4;
  assertRefused(holeAtEnd, 'length past the last element');
  assertRefused({ deep: [[1, , 3]] }, 'a hole in a nested array');
  assertExact([1, null, 3], 'null is a value, not a hole');
});

test('frozen, sealed and null-prototype plain data is exact; array subclasses, class instances and other realms go through v8', () => {
  assertExact(Object.freeze({ a: Object.freeze([1, 2]), b: 'x' }), 'frozen object and array');
  assertExact(Object.seal({ a: 1 }), 'sealed object');
  assertExact(Object.assign(Object.create(null), { a: [1] }), 'null prototype');
  class Rows extends Array {}
  assertRefused(Rows.from([1, 2]), 'array subclass');
  assertRefused({ rows: Rows.from([1]) }, 'nested array subclass');
  assertRefused({ at: new (class At {})() }, 'class instance');
  assertRefused(Object.create({ inherited: 1 }), 'object with a prototype of its own');
  // Another realm's Object.prototype and Array.prototype are not this one's: refused, v8 copies them as it always did.
  assertRefused(vm.runInNewContext('({ a: [1] })'), 'object from another realm');
  assertRefused(vm.runInNewContext('[1, 2]'), 'array from another realm');
});

test('numeric and numeric-looking keys keep their order and values through JSON, as through v8', () => {
  assertExact({ 2: 'b', 1: 'a', x: 1, '01': 'not an index', [-1]: 'negative', 4294967295: 'past the index range' }, 'numeric keys');
  const [viaJson, viaV8] = [JSON.parse(JSON.stringify({ b: 1, 10: 2, a: 3, 2: 4 })), structuredClone({ b: 1, 10: 2, a: 3, 2: 4 })];
  assert.deepEqual(Object.keys(viaJson), Object.keys(viaV8));
  // Symbol keys are in neither copy.
  assertExact({ a: 1, [Symbol('s')]: 2 }, 'symbol key');
});
