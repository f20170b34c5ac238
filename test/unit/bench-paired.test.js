// The paired figures of the messaging benches (bench/lib/paired.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, pairedRatios, quartiles, rotatedIndex } from '../../bench/lib/paired.js';

test('median: odd and even counts, non-finite values ignored, NaN when empty', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, NaN, undefined, 1, Infinity, 3]), 3);
  assert.ok(Number.isNaN(median([])));
});

test('quartiles by nearest rank', () => {
  assert.deepEqual(quartiles([8, 1, 7, 2, 6, 3, 5, 4]), [3, 7]);
});

test('paired ratios: round by round, so a load swing common to a round cancels, unlike the ratio of medians', () => {
  // Rounds under load 1x, 2x and 0.5x: the subject is 0.9x the reference in every one of them.
  const ref = [{ rps: 1000 }, { rps: 500 }, { rps: 2000 }];
  const rows = [{ rps: 900 }, { rps: 450 }, { rps: 1800 }];
  assert.deepEqual(pairedRatios(rows, ref).map((r) => Math.round(r * 1000) / 1000), [0.9, 0.9, 0.9]);
  assert.equal(Math.round(median(pairedRatios(rows, ref)) * 1000) / 1000, 0.9);
  // One round whose load favoured the subject alone (2.0x): the median of the ratios stays at 0.9x, the ratio of the medians moves to 1.0x.
  const swing = [{ rps: 900 }, { rps: 1000 }, { rps: 1800 }];
  assert.equal(Math.round(median(pairedRatios(swing, ref)) * 1000) / 1000, 0.9);
  assert.equal(median(swing.map((m) => m.rps)) / median(ref.map((m) => m.rps)), 1);
  // Rounds one side did not measure are left out.
  assert.equal(pairedRatios(rows.slice(0, 2), ref).length, 2);
});

test('rotated order: every subject takes every place once in n rounds', () => {
  const n = 5;
  for (let k = 0; k < n; k++) {
    const places = new Set(Array.from({ length: n }, (_, round) => rotatedIndex(k, round, n)));
    assert.equal(places.size, n);
  }
  for (let round = 0; round < n; round++) {
    assert.equal(new Set(Array.from({ length: n }, (_, k) => rotatedIndex(k, round, n))).size, n);
  }
});
