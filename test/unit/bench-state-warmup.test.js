// The state benchmark's warm-up (bench/scenarios/state.js, issue 12): the
// target counts the steps after it, and the figure without it (the first
// steps, as earlier runs counted) is printed beside, with its own verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import scenario, { splitWarmUp } from '../../bench/scenarios/state.js';

test('the timed steps are the n after the warm-up; noWarm is the p50 of the first n', () => {
  // 3 warm-up steps that are slow, then 4 fast ones.
  const set = [9, 9, 9, 1, 2, 3, 4];
  const redis = [5, 5, 5, 5, 5, 5, 5];
  const { timed, noWarm } = splitWarmUp([set, redis], 3, 4);
  assert.deepEqual(timed, [[1, 2, 3, 4], [5, 5, 5, 5]]);
  // The first 4 steps of set: 9 9 9 1 → p50 (the upper middle, as pct() takes it) 9.
  assert.deepEqual(noWarm, [9, 5]);
});

test('without a warm-up nothing is dropped', () => {
  const { timed, noWarm } = splitWarmUp([[3, 1, 2]], 0, 3);
  assert.deepEqual(timed, [[3, 1, 2]]);
  assert.deepEqual(noWarm, [2]);
});

const base = { peekRate: 1e6, getRate: 1e6, redisGetRate: 1e3, echoP50: 0.03, fanFileP99: 1, fanRedisP99: 1, pubsubP99: 1, hotRate: 6000, hotExact: true, hotSoloRate: 9000 };

test('the set target says it counts the steps after the warm-up and prints the figure without it, with its verdict', () => {
  const d = { ...base, params: { setCount: 2000, setWarm: 500 }, setP50: 0.04, redisSetP50: 0.045, noWarm: { setP50: 0.07, redisSetP50: 0.055 } };
  const t = scenario.targets(d).find((x) => x.name.startsWith('set round trip'));
  assert.equal(t.ok, true);
  assert.match(t.name, /the 2,000 steps after a warm-up of 500 steps of every subject/);
  assert.match(t.value, /without the warm-up, the first 2,000 steps: set 0\.070 vs SET 0\.055 ms, missed/);
});

test('results from before the warm-up render as they did', () => {
  const d = { ...base, params: { setCount: 2000 }, setP50: 0.073, redisSetP50: 0.055 };
  const t = scenario.targets(d).find((x) => x.name.startsWith('set round trip'));
  assert.equal(t.ok, false);
  assert.equal(t.name, 'set round trip p50, file backend: ≤ an ioredis SET p50');
  assert.doesNotMatch(t.value, /warm-up/);
});
