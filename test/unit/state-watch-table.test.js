// The state server's watch table: the processes watching a key are derived
// from every process's patterns and cached per key; each change of who
// watches what must drop the cached lists (one invalidation point).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchTable, WATCHED_KEYS_CACHED } from '../../dist/state/watch-table.js';

const sub = (name) => ({ name, patterns: new Map() });
const names = (list) => list.map((s) => s.name).sort();

test('every change of the watches is seen by the next lookup of a key already looked up', () => {
  const t = new WatchTable();
  const a = sub('a');
  const b = sub('b');
  t.set('p:0', a);
  assert.deepEqual(names(t.of('user:1')), []);
  t.watch(a, 1, 'user:*');
  assert.deepEqual(names(t.of('user:1')), ['a'], 'a new watch');
  t.set('p:1', b);
  t.watch(b, 1, 'user:1');
  assert.deepEqual(names(t.of('user:1')), ['a', 'b'], 'a new process and its watch');
  t.watch(a, 1, 'other');
  assert.deepEqual(names(t.of('user:1')), ['b'], 'a watch id given another pattern');
  assert.equal(t.unwatch(b, 1), true);
  assert.deepEqual(names(t.of('user:1')), [], 'an unwatch');
  assert.equal(t.unwatch(b, 1), false);
  t.watch(b, 2, '*');
  assert.deepEqual(names(t.of('user:1')), ['b']);
  const b2 = sub('b2');
  t.set('p:1', b2);
  assert.deepEqual(names(t.of('user:1')), [], 'a replacement in the slot, with none of the old watches');
  t.watch(b2, 1, 'user:*');
  assert.deepEqual(names(t.of('user:1')), ['b2']);
  assert.equal(t.delete('p:1', b), false, 'a process no longer in its slot is not deleted');
  assert.deepEqual(names(t.of('user:1')), ['b2']);
  assert.equal(t.delete('p:1', b2), true);
  assert.deepEqual(names(t.of('user:1')), [], 'a process gone');
  t.watch(a, 3, 'user:*');
  assert.deepEqual(names(t.of('user:1')), ['a']);
  t.clear();
  assert.deepEqual(names(t.of('user:1')), [], 'cleared');
  assert.equal(t.size, 0);
});

test('a process with two matching patterns is listed once; the cache stays bounded', () => {
  const t = new WatchTable();
  const a = sub('a');
  t.set('p:0', a);
  t.watch(a, 1, 'k*');
  t.watch(a, 2, 'k1');
  assert.deepEqual(names(t.of('k1')), ['a']);
  assert.equal(t.of('k1'), t.of('k1'), 'the same list while nothing changes');
  for (let i = 0; i < WATCHED_KEYS_CACHED + 10; i++) assert.equal(t.of(`k${i}`).length, 1);
  t.unwatch(a, 1);
  assert.deepEqual(names(t.of('k5')), [], 'still invalidated after the bound was reached');
  assert.deepEqual(names(t.of('k1')), ['a']);
});
