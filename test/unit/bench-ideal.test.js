// The openloop benchmark's bounds (bench/lib/ideal.js): the schedule replayed
// against model workers, per request and per connection (keep-alive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestCase, modelConnectionLatencies, modelLatencies, searchConnections } from '../../bench/lib/ideal.js';

const base = { rate: 1000, burnMs: 10, floorMs: 1, workers: 2 };

test('without burns every request costs only the floor, at both levels', () => {
  const burns = new Uint8Array(50);
  for (const dispatcher of ['round-robin', 'least-work', 'least-connections']) {
    if (dispatcher !== 'least-connections') assert.deepEqual([...modelLatencies({ ...base, dispatcher, burns })], new Array(50).fill(1));
    const c = modelConnectionLatencies({ ...base, dispatcher, burns });
    assert.deepEqual([...c.lat], new Array(50).fill(1));
    // One socket suffices: each response (1 ms) is back when the next request (1 ms later) is due.
    assert.equal(c.sockets, 1);
  }
});

test('per request: round-robin queues a request behind a burn that least-work avoids', () => {
  const burns = Uint8Array.from([1, 1, 0, 0]);
  // rr: 0 → w0 (busy to 10), 1 → w1 (busy to 11), 2 → w0 waits to 10, 3 → w1 waits to 11.
  assert.deepEqual([...modelLatencies({ ...base, dispatcher: 'round-robin', burns })], [11, 11, 9, 9]);
  // least-work: 2 and 3 both go to w0, free first at 10.
  assert.deepEqual([...modelLatencies({ ...base, dispatcher: 'least-work', burns })], [11, 11, 9, 8]);
});

test('per connection: a request follows its socket; only a new socket is placed', () => {
  const burns = Uint8Array.from([1, 0, 1, 0]);
  const r = modelConnectionLatencies({ ...base, floorMs: 0.5, dispatcher: 'least-work', burns });
  // 0 opens A on w0 (burns to 10); 1 opens B on w1 (free), back at 1.5; 2 reuses B and
  // burns w1 to 12; 3 finds no free socket, opens C, placed on w0 (free at 10 < 12).
  assert.deepEqual([...r.lat], [10.5, 0.5, 10.5, 7.5]);
  assert.deepEqual(r.placement, [0, 1, 0]);
  // Per request the same schedule does no better here, but with keep-alive the
  // client's reuse decides: the burn (2) went to w1 because B was the free socket.
  assert.deepEqual([...modelLatencies({ ...base, floorMs: 0.5, dispatcher: 'least-work', burns })], [10.5, 0.5, 10.5, 7.5]);
});

test('per connection: the longest-free socket is reused even when its worker is busy', () => {
  // 0 opens A (w0), 1 opens B (w1): both plain, A free at 1, B at 2. 2 burns on A (the
  // longest free) → w0 busy 2..12. 3 reuses B (w1). 4 reuses B again, free since 4.
  const burns = Uint8Array.from([0, 0, 1, 0, 0]);
  const r = modelConnectionLatencies({ ...base, rate: 1000, floorMs: 1, dispatcher: 'round-robin', burns });
  assert.deepEqual([...r.lat], [1, 1, 11, 1, 1]);
  assert.deepEqual(r.placement, [0, 1]);
});

test('the clairvoyant search never does worse than the placements it starts from', () => {
  const opts = { rate: 600, duration: 3, burnEvery: 10, burnMs: 20, floorMs: 1, workers: 2 };
  const b = bestCase(opts);
  assert.ok(b.conn.clairvoyant <= Math.min(b.conn.rr, b.conn.best), `${b.conn.clairvoyant} vs ${b.conn.rr}, ${b.conn.best}`);
  assert.equal(searchConnections({ ...opts, burnEvery: 0 }), 1);
  // Per request, knowing every burn beats round-robin on this schedule.
  assert.ok(b.best < b.rr);
});
