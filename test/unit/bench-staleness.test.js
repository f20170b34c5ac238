// The openloop benchmark's staleness measure (bench/lib/staleness.js): what
// the strategy saw at each hand-off against the truth from the app's own log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staleness } from '../../bench/lib/staleness.js';

const view = (pid, connections, queued = 0, stalled = false) => ({ pid, connections, queued, stalled });

test('counts seen vs the truth, and a hand-off to a burning worker while the other was free', () => {
  const apps = new Map([
    // 10 burns from 100 to 120; its first connection (handed at 0) closed at 5.
    [10, { closes: [5], burns: [[100, 120]] }],
    // 20's connection (handed at 1) closed at 2, but the master still counted it at 50.
    [20, { closes: [2], burns: [] }],
  ]);
  const dispatches = [
    { at: 0, chosen: 10, view: [view(10, 0), view(20, 0)] },
    { at: 1, chosen: 20, view: [view(10, 1), view(20, 0)] },
    // Truth at 50: 10 has 0 open, 20 has 0 open; the strategy saw 20 with 1 (a stale close).
    { at: 50, chosen: 10, view: [view(10, 0), view(20, 1)] },
    // At 110 10 burns and 20 is free: a blind pick (10 looked no busier).
    { at: 110, chosen: 10, view: [view(10, 1), view(20, 0)] },
    // At 111 the stalled 10 is passed over: the choice mattered and was right.
    { at: 111, chosen: 20, view: [view(10, 2, 1, true), view(20, 0)] },
  ];
  const r = staleness({ dispatches, apps });
  assert.equal(r.dispatches, 5);
  // Pairs: 10 members seen; wrong ones: 20 at 50 (+1).
  assert.equal(r.exact, 9 / 10);
  assert.equal(r.overcount, 1 / 10);
  assert.equal(r.avoidable, 2 / 5);
  assert.equal(r.blind, 1 / 5);
  assert.equal(r.blindOfAvoidable, 1 / 2);
  assert.equal(r.blindLookedIdle, 1 / 5);
  assert.equal(r.blindStalled, 0);
});

test('a window scores only the hand-offs in it, but every hand-off counts towards the truth', () => {
  const apps = new Map([[1, { closes: [], burns: [] }]]);
  const dispatches = [
    { at: 0, chosen: 1, view: [view(1, 0)] },
    { at: 10, chosen: 1, view: [view(1, 1)] },
    { at: 20, chosen: 1, view: [view(1, 1)] },
  ];
  const r = staleness({ dispatches, apps }, [5, 25]);
  assert.equal(r.dispatches, 2);
  // At 20 the truth is 2 open (handed at 0 and 10): the view of 1 undercounts.
  assert.equal(r.exact, 1 / 2);
  assert.equal(r.overcount, -1 / 2);
});
