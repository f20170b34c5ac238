// Values, keys and watch patterns of the shared state store (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKey, checkPattern, encodeValue, matches } from '../../dist/state/value.js';

test('JSON values pass and keep their text; everything JSON would mangle is refused with DROVER_E_STATE_VALUE', () => {
  assert.equal(encodeValue({ a: [1, 'x', true, null, { b: 1.5 }] }, 'k'), '{"a":[1,"x",true,null,{"b":1.5}]}');
  assert.equal(encodeValue(Object.assign(Object.create(null), { a: 1 }), 'k'), '{"a":1}');
  const cases = [
    [undefined, /is undefined/],
    [() => 1, /a function/],
    [Symbol('s'), /a symbol/],
    [10n, /a bigint/],
    [NaN, /is NaN/],
    [Infinity, /is Infinity/],
    [new Map(), /a Map, not a plain object/],
    [new Set(), /a Set/],
    [new Date(0), /a Date/],
    [{ a: [1, undefined] }, /value\.a\[1\] is undefined/],
    [{ a: { b: () => 1 } }, /value\.a\.b is a function/],
  ];
  for (const [value, message] of cases) assert.throws(() => encodeValue(value, 'k'), (err) => err.code === 'DROVER_E_STATE_VALUE' && message.test(err.message), String(message));
  const cyclic = { x: {} };
  cyclic.x.back = cyclic;
  assert.throws(() => encodeValue(cyclic, 'k'), /a cycle/);
  // The same object twice is not a cycle.
  const shared = { n: 1 };
  assert.equal(encodeValue([shared, shared], 'k'), '[{"n":1},{"n":1}]');
});

test('size limits: a value over 1 MiB as JSON (counted in UTF-8 bytes) and a key over 1024 bytes are DROVER_E_STATE_LIMIT', () => {
  assert.doesNotThrow(() => encodeValue('x'.repeat(1024 * 1024 - 2), 'k'));
  assert.throws(() => encodeValue('x'.repeat(1024 * 1024), 'k'), (err) => err.code === 'DROVER_E_STATE_LIMIT' && err.exitCode === 103);
  // 400 000 three-byte characters: 1.2 MB of UTF-8 in a 400 000-character string.
  assert.throws(() => encodeValue('€'.repeat(400_000), 'k'), { code: 'DROVER_E_STATE_LIMIT' });
  assert.throws(() => checkKey('k'.repeat(1025)), { code: 'DROVER_E_STATE_LIMIT' });
  assert.equal(checkKey('k'.repeat(1024)).length, 1024);
  for (const bad of ['', 'a*', 42, null]) assert.throws(() => checkKey(bad), { code: 'DROVER_E_STATE_VALUE' });
});

test('watch patterns: a key, a prefix ending in *, or *', () => {
  assert.ok(matches('config', 'config'));
  assert.ok(!matches('config', 'config2'));
  assert.ok(matches('user:*', 'user:1'));
  assert.ok(matches('user:*', 'user:'));
  assert.ok(!matches('user:*', 'users'));
  assert.ok(matches('*', 'anything'));
  assert.equal(checkPattern('a:*'), 'a:*');
  for (const bad of ['', 'a*b', '**', 7]) assert.throws(() => checkPattern(bad), { code: 'DROVER_E_STATE_VALUE' });
});
