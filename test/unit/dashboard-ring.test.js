// The dashboard's resumable event log: a reconnecting stream gets exactly
// what it missed, or is told to reset when that has left the ring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRing } from '../../dist/http/dashboard/ring.js';

test('since(lastId) returns what came after, complete while the ring still holds it', () => {
  const ring = new EventRing(3);
  for (const x of ['a', 'b', 'c']) ring.push(x);
  assert.deepEqual(ring.since(undefined), { complete: true, events: [{ id: 1, data: 'a' }, { id: 2, data: 'b' }, { id: 3, data: 'c' }] });
  assert.deepEqual(ring.since(2).events.map((e) => e.data), ['c']);
  assert.equal(ring.since(3).events.length, 0);
  ring.push('d');
  ring.push('e');
  assert.deepEqual(ring.since(2), { complete: true, events: [{ id: 3, data: 'c' }, { id: 4, data: 'd' }, { id: 5, data: 'e' }] });
  const gone = ring.since(1);
  assert.equal(gone.complete, false, 'event 2 left the ring');
  assert.deepEqual(gone.events.map((e) => e.id), [3, 4, 5]);
  assert.equal(ring.since(99).complete, false, 'an id from another server run: start over');
  assert.equal(ring.since(-1).complete, false);
});
