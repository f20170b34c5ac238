// Turns for update()'s compare-and-set attempts on a contended key
// (src/state/fair-cas.ts), against a one-key compare-and-set table and a fake
// clock: who waits, when the turn passes, and that a lost holder costs only
// its lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FairCas, LAPSE_MS, LAPSE_WINDOWS, LEASE_MS, MAX_STREAK_MS, STREAK_MS } from '../../dist/state/fair-cas.js';

// quantum 1: the turn passes at the holder's first win (the tests of the quantum give their own).
function world(quantum = 1) {
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
    LEASE_MS,
    quantum,
  );
  // One pass over the timers due now (one turn of the event loop's timers phase).
  const fire = () => {
    for (const t of [...timers]) if (t.live && t.at <= now) ((t.live = false), t.fn());
  };
  // The clock moves on, and every timer due by then runs (those the due ones arm, too).
  const advance = (ms) => {
    now += ms;
    while (timers.some((t) => t.live && t.at <= now)) fire();
  };
  const attempt = (who, ifVersion) => cas.attempt('k', who, { who, ifVersion });
  return { cas, table, advance, fire, tick: (ms) => (now += ms), attempt, liveTimers: () => timers.filter((t) => t.live).length };
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

test('a holder that wins keeps the turn for its next attempt, up to the quantum, then the first waiter goes', async () => {
  const w = world(3);
  w.attempt('a', 0);
  assert.equal(w.attempt('b', 0), 'conflict b at 1');
  const c = w.attempt('c', 0);
  // b's wins: its reply carried the version it wrote, so its next attempt is current and goes first.
  assert.equal(w.attempt('b', 1), 'ok b 2');
  assert.equal(w.attempt('b', 2), 'ok b 3');
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  // The third win in a row ends b's quantum: c's stale attempt is tried and loses, so c holds the turn.
  assert.equal(w.attempt('b', 3), 'ok b 4');
  assert.equal(await c, 'conflict c at 4');
  // b's next attempt, current, now waits for c.
  const b = w.attempt('b', 4);
  assert.ok(b instanceof Promise);
  assert.equal(w.attempt('c', 4), 'ok c 5');
  assert.equal(w.attempt('c', 5), 'ok c 6');
  assert.equal(w.attempt('c', 6), 'ok c 7');
  assert.equal(await b, 'conflict b at 7');
  assert.equal(w.attempt('b', 7), 'ok b 8');
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.liveTimers(), 0);
  assert.equal(w.table.version, 8);
});

test('a winner that does not come back within STREAK_MS loses the turn, not the conflict lease', async () => {
  const w = world(16);
  w.attempt('a', 0);
  w.attempt('b', 0);
  const c = w.attempt('c', 0);
  assert.equal(w.attempt('b', 1), 'ok b 2');
  w.advance(STREAK_MS - 1);
  assert.equal(w.attempt('b', 2), 'ok b 3'); // renews its streak
  w.advance(STREAK_MS - 1);
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  w.advance(1);
  assert.equal(await c, 'conflict c at 3');
  // c holds it with the conflict lease (LEASE_MS), not the streak's.
  w.advance(STREAK_MS);
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 0 });
  w.advance(LEASE_MS);
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.liveTimers(), 0);
});

test('a holder that let its quantum lapse gets none for LAPSE_MS: its win passes the turn at once', async () => {
  const w = world(16);
  w.attempt('a', 0);
  w.attempt('b', 0);
  const c = w.attempt('c', 0);
  assert.equal(w.attempt('b', 1), 'ok b 2');
  // b does not come back: c waited STREAK_MS, and b is marked.
  w.advance(STREAK_MS);
  assert.equal(await c, 'conflict c at 2');
  const b = w.attempt('b', 0);
  assert.equal(w.attempt('c', 2), 'ok c 3');
  // c keeps the turn (its quantum); b waits until c lets it lapse too.
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  w.advance(STREAK_MS);
  assert.equal(await b, 'conflict b at 3');
  const d = w.attempt('d', 0);
  // b's win: no quantum for b now, so d goes at once.
  assert.equal(w.attempt('b', 3), 'ok b 4');
  assert.equal(await d, 'conflict d at 4');
  const b2 = w.attempt('b', 4);
  assert.equal(w.attempt('d', 4), 'ok d 5');
  w.advance(STREAK_MS);
  assert.equal(await b2, 'conflict b at 5');
  // After LAPSE_MS (b's conflict lease ran out long before) b gets a quantum again.
  w.advance(LAPSE_MS);
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.attempt('e', 0), 'conflict e at 5');
  const b3 = w.attempt('b', 5);
  assert.equal(w.attempt('e', 5), 'ok e 6');
  w.advance(STREAK_MS);
  assert.equal(await b3, 'conflict b at 6');
  const f = w.attempt('f', 0);
  assert.equal(w.attempt('b', 6), 'ok b 7');
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  w.advance(STREAK_MS);
  assert.equal(await f, 'conflict f at 7');
  w.advance(LEASE_MS);
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.liveTimers(), 0);
});

test('a lapse costs the writer its quantum for LAPSE_WINDOWS of the window it missed, not a whole LAPSE_MS', async () => {
  const w = world(16);
  w.attempt('a', 0);
  w.attempt('b', 0);
  const c = w.attempt('c', 0);
  assert.equal(w.attempt('b', 1), 'ok b 2');
  // b's window (STREAK_MS) runs out: b is banned until STREAK_MS + LAPSE_WINDOWS × STREAK_MS.
  w.advance(STREAK_MS);
  assert.equal(await c, 'conflict c at 2');
  w.advance(LEASE_MS);
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  // Still banned: b's win passes the turn at once.
  assert.equal(w.attempt('b', 0), 'conflict b at 2');
  const d = w.attempt('d', 0);
  assert.equal(w.attempt('b', 2), 'ok b 3');
  assert.equal(await d, 'conflict d at 3');
  w.advance(LEASE_MS);
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  // The ban is over (LAPSE_WINDOWS × STREAK_MS, well before LAPSE_MS): b's win keeps the turn while e waits.
  w.advance(LAPSE_WINDOWS * STREAK_MS - 2 * LEASE_MS);
  assert.ok(LAPSE_WINDOWS * STREAK_MS + STREAK_MS < LAPSE_MS);
  assert.equal(w.attempt('b', 0), 'conflict b at 3');
  const e = w.attempt('e', 0);
  assert.equal(w.attempt('b', 3), 'ok b 4');
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  w.advance(STREAK_MS);
  assert.equal(await e, 'conflict e at 4');
  w.advance(LEASE_MS);
  assert.equal(w.liveTimers(), 0);
});

test("the quantum's window is twice the holder's turnaround, at least STREAK_MS, at most MAX_STREAK_MS", async () => {
  const w = world(16);
  w.attempt('a', 0);
  w.attempt('b', 0);
  const c = w.attempt('c', 0);
  // b's retry came 5 ms after its conflict reply: its window is 10 ms.
  w.advance(5);
  assert.equal(w.attempt('b', 1), 'ok b 2');
  w.advance(9);
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  w.advance(1);
  assert.equal(await c, 'conflict c at 2');
  // c's retry takes 30 ms: its window is capped.
  const d = w.attempt('d', 0);
  w.advance(30);
  assert.equal(w.attempt('c', 2), 'ok c 3');
  w.advance(MAX_STREAK_MS - 1);
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  w.advance(1);
  assert.equal(await d, 'conflict d at 3');
  w.advance(LEASE_MS);
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.liveTimers(), 0);
});

test("a holder whose next attempt is read in the same turn as its window's timer fires keeps the turn (a descheduled master runs timers before I/O)", async () => {
  const w = world(16);
  w.attempt('a', 0);
  w.attempt('b', 0);
  const c = w.attempt('c', 0);
  assert.equal(w.attempt('b', 1), 'ok b 2');
  // The master wakes 10 ms later: the window's timer runs first, then it reads b's attempt.
  w.tick(10);
  w.fire();
  assert.equal(w.attempt('b', 2), 'ok b 3');
  w.fire();
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  // b's quantum goes on (its turnaround was 10 ms: a 20 ms window); when b stops coming, c gets the turn.
  w.advance(19);
  assert.deepEqual(w.cas.stats(), { keys: 1, waiting: 1 });
  w.advance(1);
  assert.equal(await c, 'conflict c at 3');
  w.advance(LEASE_MS);
  assert.deepEqual(w.cas.stats(), { keys: 0, waiting: 0 });
  assert.equal(w.liveTimers(), 0);
});
