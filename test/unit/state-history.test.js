// The master's ring of recent changes (src/state/history.ts): what a watcher
// with sinceRev is replayed, and where it starts getting a reset instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from '../../dist/state/history.js';

const put = (rev) => ({ type: 'put', entry: { key: `k${rev}`, json: '1', version: 1, rev } });
const del = (rev) => ({ type: 'del', key: `k${rev}`, rev });
const revs = (h, since) => [...h.after(since)].map((c) => (c.type === 'put' ? c.entry.rev : c.rev));

test('keeps the last changes in rev order through growth and wrap-around; the floor is the last dropped rev', () => {
  const h = new History(5, 1_000);
  h.floor = 0;
  for (let rev = 1; rev <= 3; rev++) h.push(rev % 2 ? put(rev) : del(rev), 10);
  assert.deepEqual(revs(h, 0), [1, 2, 3]);
  assert.equal(h.floor, 0);
  for (let rev = 4; rev <= 23; rev++) h.push(rev % 2 ? put(rev) : del(rev), 10);
  assert.deepEqual(revs(h, 0), [19, 20, 21, 22, 23]);
  assert.deepEqual(revs(h, 21), [22, 23]);
  assert.equal(h.floor, 18);
  assert.equal(h.bytes, 50);
});

test('the byte bound drops the oldest changes too, and clear() empties it at a new floor', () => {
  const h = new History(100, 25);
  h.push(put(1), 10);
  h.push(put(2), 10);
  h.push(put(3), 10);
  assert.deepEqual(revs(h, 0), [2, 3]);
  assert.equal(h.floor, 1);
  assert.equal(h.bytes, 20);
  h.push(put(4), 30);
  assert.deepEqual(revs(h, 0), []);
  assert.equal(h.floor, 4);
  assert.equal(h.bytes, 0);
  h.push(put(5), 5);
  h.clear(9);
  assert.deepEqual(revs(h, 0), []);
  assert.equal(h.floor, 9);
  assert.equal(h.bytes, 0);
  h.push(put(10), 5);
  assert.deepEqual(revs(h, 9), [10]);
});

test('replays each change whole (key, value text, version, rev; deletes as deletes), also after growth and wrap-around', () => {
  const h = new History(20, 10_000);
  const made = [];
  for (let rev = 1; rev <= 45; rev++) {
    const c = rev % 3 === 0 ? del(rev) : { type: 'put', entry: { key: `key-${rev % 4}`, json: `{"n":${rev}}`, version: rev * 2, rev } };
    made.push(c);
    h.push(c, 10);
  }
  assert.deepEqual([...h.after(0)], made.slice(25));
  assert.deepEqual([...h.after(40)], made.slice(40));
});
