// @ts-check
// The worker's connection reports (src/worker/conn-counts.ts): how stale the
// master's counts can be. Fake timers and clock: a change goes out at the end
// of its turn, or at most HANDOFF_REPORT_GAP_MS after the previous report;
// HANDOFF_REPORT_EVERY unreported hand-offs go out at the end of the turn.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ConnCounts } from '../../dist/worker/conn-counts.js';
import { HANDOFF_REPORT_EVERY, HANDOFF_REPORT_GAP_MS } from '../../dist/protocol/handoff.js';

function setup(t, gapMs = HANDOFF_REPORT_GAP_MS) {
  mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] });
  t.after(() => mock.timers.reset());
  let now = 0;
  /** @type {Array<{ at: number, key: string, got: number, closed: number }>} */
  const sent = [];
  const counts = new ConnCounts((key, got, closed) => sent.push({ at: now, key, got, closed }), () => now, gapMs);
  const advance = (ms) => {
    now += ms;
    mock.timers.tick(ms);
  };
  return { counts, sent, advance, endOfTurn: () => mock.timers.tick(0) };
}

test('the first change is reported at the end of its turn, cumulative', (t) => {
  const { counts, sent, endOfTurn } = setup(t);
  counts.add('k', 1, 0);
  counts.add('k', 1, 0);
  assert.equal(sent.length, 0, 'not before the turn ends');
  endOfTurn();
  assert.deepEqual(sent, [{ at: 0, key: 'k', got: 2, closed: 0 }]);
});

test('a close right after a report waits for the gap, never longer', (t) => {
  const gap = 4;
  const { counts, sent, advance, endOfTurn } = setup(t, gap);
  counts.add('k', 1, 0);
  endOfTurn();
  advance(1);
  counts.add('k', 0, 1);
  endOfTurn();
  assert.equal(sent.length, 1, 'within the gap: held');
  advance(gap - 1);
  assert.deepEqual(sent.at(-1), { at: gap, key: 'k', got: 1, closed: 1 }, 'reported once the gap is over: staleness ≤ gap');
});

test('a change after a quiet spell goes out at the end of its turn', (t) => {
  const { counts, sent, advance, endOfTurn } = setup(t, 5);
  counts.add('k', 1, 0);
  endOfTurn();
  advance(50);
  counts.add('k', 0, 1);
  endOfTurn();
  assert.deepEqual(sent.at(-1), { at: 50, key: 'k', got: 1, closed: 1 });
});

test('HANDOFF_REPORT_EVERY unreported hand-offs are reported at the end of the turn despite the gap (the credit)', (t) => {
  const { counts, sent, endOfTurn } = setup(t, 1000);
  counts.add('k', 1, 0);
  endOfTurn();
  for (let i = 0; i < HANDOFF_REPORT_EVERY; i++) counts.add('k', 1, 0);
  endOfTurn();
  assert.equal(sent.length, 2);
  assert.equal(sent[1].got, HANDOFF_REPORT_EVERY + 1);
});

test('keys are reported separately, only the ones that changed', (t) => {
  const { counts, sent, advance, endOfTurn } = setup(t, 1);
  counts.add('a', 1, 0);
  counts.add('b', 1, 0);
  endOfTurn();
  advance(10);
  counts.add('b', 0, 1);
  endOfTurn();
  assert.deepEqual(
    sent.map((s) => `${s.key}:${s.got}/${s.closed}`),
    ['a:1/0', 'b:1/0', 'b:1/1'],
  );
});
