// Turns for update()'s compare-and-set attempts on a contended key
// (src/state/fair-cas.ts), against a one-key compare-and-set table and a fake
// clock: who waits, when the turn passes, and that a lost holder costs only
// its lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FairCas, LEASE_MS } from '../../dist/state/fair-cas.js';

function world() {
  let now = 0;
  const timers = [];
  const fake = {
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return t;
    },
    clearTimeout: (t) => {
      if (t) t.live = false;
    },
  };
  const table = { version: 0, runs: [] };
  const cas = new FairCas(
    (op) => {
      table.runs.push(op.who);
      if (op.ifVersion !== table.version) return { reply: `conflict ${op.who} at ${table.version}`, conflicted: true };
      table.version++;
      return { reply: `ok ${op.who} ${table.version}`, conflicted: false };
    },
    fake,
    () => now,
  );
  const advance = (ms) => {
    now += ms;
    for (const t of [...timers]) if (t.live && t.at <= now) ((t.live = false), t.fn());
  };
  const attempt = (who, ifVersion) => cas.attempt('k', who, { who, ifVersion });
  return { cas, table, advance, attempt, liveTimers: () => timers.filter((t) => t.live).length };
}

test('uncontended attempts are tried at once and leave no turn, no timer', () => {
  const w = world();
  assert.equal(w.attempt('a', 0), 'ok a 1');
  assert.equal(w.attempt('b', 1), 'ok b 2');
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.liveTimers(), 0);
});

test('the loser of a conflict holds the turn: others wait, its retry wins, then the first waiter goes', async () => {
  const w = world();
  assert.equal(w.attempt('a', 0), 'ok a 1');
  assert.equal(w.attempt('b', 0), 'conflict b at 1');
  // c and a (again) were computed from old versions: they wait instead of failing.
  const c = w.attempt('c', 0);
  const a = w.attempt('a', 1);
  assert.ok(c instanceof Promise && a instanceof Promise);
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 2 });
  assert.equal(w.attempt('b', 1), 'ok b 2');
  // The turn passed to c: its stale attempt was tried and lost, so c holds the turn; a still waits.
  assert.equal(await c, 'conflict c at 2');
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  assert.equal(w.attempt('c', 2), 'ok c 3');
  assert.equal(await a, 'conflict a at 3');
  assert.equal(w.attempt('a', 3), 'ok a 4');
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.liveTimers(), 0);
  assert.equal(w.table.version, 4);
});

test('a waiter whose attempt is still current when its turn comes writes at once', async () => {
  const w = world();
  w.attempt('a', 0);
  assert.equal(w.attempt('b', 0), 'conflict b at 1');
  const c = w.attempt('c', 2);
  assert.equal(w.attempt('b', 1), 'ok b 2');
  assert.equal(await c, 'ok c 3');
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
});

test('a holder that never retries loses the turn after the lease, renewed by its own conflicts', async () => {
  const w = world();
  w.attempt('a', 0);
  w.attempt('b', 0);
  const c = w.attempt('c', 0);
  w.advance(LEASE_MS - 1);
  assert.equal(w.attempt('b', 0), 'conflict b at 1'); // b's own conflict renews its lease
  w.advance(LEASE_MS - 1);
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  w.advance(1);
  assert.equal(await c, 'conflict c at 1');
  // c holds it now, with a lease of its own.
  w.advance(LEASE_MS);
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.liveTimers(), 0);
});

test('close answers every waiter', async () => {
  const w = world();
  w.attempt('a', 0);
  w.attempt('b', 0);
  const c = w.attempt('c', 0);
  w.cas.close('closed');
  assert.equal(await c, 'closed');
  assert.equal(w.liveTimers(), 0);
});
