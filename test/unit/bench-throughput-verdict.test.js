// The throughput scenario's verdict (bench/scenarios/throughput.js): the median
// of drover ÷ Node cluster RR within each round, not the ratio of the medians
// over rounds, which the machine's drift between rounds decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import scenario, { throughputRatio } from '../../bench/scenarios/throughput.js';

const row = (id, perRound, extra = {}) => {
  const runs = perRound.map((reqPerSec, i) => ({ round: i + 1, reqPerSec }));
  const sorted = [...perRound].sort((a, b) => a - b);
  return { id, label: id, runs, errors: [], uncleanStops: [], reqPerSec: sorted[Math.floor(sorted.length / 2)], p99: 5, failed: 0, ...extra };
};

// The last quiet run: every subject drifted 27k → 47k across the rounds.
const drifted = [row('drover', [27998, 36762, 47028]), row('node-rr', [27134, 40707, 47002])];

test('the verdict is the median of the paired per-round ratios, the ratio of the medians beside it', () => {
  const t = throughputRatio(drifted);
  assert.deepEqual(
    t.paired.map((x) => x.ratio.toFixed(3)),
    ['1.032', '0.903', '1.001'],
  );
  assert.equal(t.ratio.toFixed(3), '1.001');
  assert.equal(t.ofMedians.toFixed(3), '0.903');
  const [target] = scenario.targets({ rows: drifted });
  assert.equal(target.ok, true);
  assert.match(target.value, /^1\.001 \(ratio of the medians: 0\.903\)$/);
  const doc = scenario.render({ params: scenario.params({ quick: false }), rows: drifted });
  assert.match(doc, /paired per round 1\.032, 0\.903, 1\.001: median 1\.001; medians 36,762 ÷ 40,707 = 0\.903 \| \*\*met\*\*/);
});

test('a drover that is slower in every round misses, whatever the drift', () => {
  const rows = [row('drover', [25000, 36000, 44000]), row('node-rr', [27000, 40000, 47000])];
  const [target] = scenario.targets({ rows });
  assert.equal(target.ok, false);
});

test('a round without its Node cluster RR run falls back to the ratio of the medians', () => {
  const rows = [row('drover', [30000, 40000]), { ...row('node-rr', [30000]), reqPerSec: 30000 }];
  const t = throughputRatio(rows);
  assert.equal(t.paired, null);
  assert.equal(t.ratio, t.ofMedians);
});

test('no Node cluster RR result: not evaluated, with the reason', () => {
  const rows = [row('drover', [30000]), { ...row('node-rr', []), reqPerSec: null }];
  const [target] = scenario.targets({ rows });
  assert.equal(target.ok, null);
  assert.equal(target.why, 'no Node cluster RR result');
});
