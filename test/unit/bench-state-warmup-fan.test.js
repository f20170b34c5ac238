// The state benchmark's fan-out warm-up (bench/scenarios/state.js, issue 12): every subject runs the same
// warm-up rounds (numbered below 0); the targets count the rounds after it and print beside them the p99 of
// the first rounds (no warm-up) and after the shorter warm-up of earlier runs, with their own verdicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import scenario, { fanRounds } from '../../bench/scenarios/state.js';

/** Samples as the workers report them, [total ms, until read, round, ...]: one per round here. */
const samples = (ms) => ms.map((v, k) => [v, 0, k - 4, 0, 0]);

test('the counted rounds are those after the warm-up; first and before are the p99 of n rounds from the run start and after the old warm-up', () => {
  // 4 warm-up rounds (-4..-1) that are slow, then 4 counted ones (0..3).
  const all = samples([9, 8, 7, 6, 1, 2, 3, 4]);
  const { timed, first, before } = fanRounds(all, 4, 4, 2);
  assert.deepEqual(
    timed.map((x) => x[2]),
    [0, 1, 2, 3],
  );
  // Rounds -4..-1: the p99 of [9, 8, 7, 6] is the top one.
  assert.equal(first, 9);
  // After an old warm-up of 2 rounds: rounds -2..1, [7, 6, 1, 2].
  assert.equal(before, 7);
});

test('a warm-up no longer than the old one gives the counted rounds as the old figure', () => {
  const { timed, before } = fanRounds(samples([5, 5, 5, 5, 1, 2, 3, 4]), 4, 4, 10);
  assert.equal(timed.length, 4);
  assert.equal(before, 4);
});

const base = { peekRate: 1e6, getRate: 1e6, redisGetRate: 1e3, echoP50: 0.03, setP50: 0.04, redisSetP50: 0.05, hotRate: 6000, hotExact: true, hotSoloRate: 9000 };
const fan = { store: { n: 8000, quarters: [1, 1, 1, 1], p99: 1.9 }, hub: { p99: 1.2 }, pubsub: { p99: 1.8 } };

test('the fan-out targets say they count the rounds after the warm-up and print the figures without it, with verdicts', () => {
  const d = {
    ...base,
    params: { fanCount: 2000, redisFanCount: 1500, fanWarm: 500 },
    fan,
    fanFileP99: 1.9,
    fanWarmUp: { store: { first: 2.4, before: 2.1 } },
    fanRedisP99: 2.7,
    pubsubRedisP99: 2,
    fanRedisSamples: 6000,
    redisWarmUp: { store: { first: 3.3, before: 3 }, pubsub: { first: 2, before: 2 } },
  };
  const [embedded, redis] = scenario.targets(d).filter((t) => /fanned out|redis backend/.test(t.name));
  assert.equal(embedded.ok, true);
  assert.match(embedded.name, /the 2,000 rounds after a warm-up of 500 rounds of every subject/);
  assert.match(embedded.value, /without the warm-up, the first 2,000 rounds: 2\.40 ms, missed; after the warm-up of runs before this one \(10% of the rounds, at most 200\): 2\.10 ms, missed/);
  assert.equal(redis.ok, true);
  assert.match(redis.name, /the 1,500 rounds after a warm-up of 500 rounds/);
  assert.match(redis.value, /the first 1,500 rounds: 3\.30 vs 2\.00 ms, 1\.65×, missed; .*: 3\.00 vs 2\.00 ms, 1\.50×, met/);
});

test('fan-out results from before the warm-up render as they did', () => {
  const d = { ...base, params: { fanCount: 2000, redisFanCount: 1500 }, fan, fanFileP99: 2.2, fanRedisP99: 3.13, pubsubRedisP99: 1.94 };
  const [embedded, redis] = scenario.targets(d).filter((t) => /fanned out|redis backend/.test(t.name));
  assert.equal(embedded.name, 'a change fanned out to 4 workers, p99, embedded: ≤ 2 ms');
  assert.equal(embedded.ok, false);
  assert.doesNotMatch(embedded.value, /warm-up/);
  assert.equal(redis.name, 'the same, redis backend: ≤ 1.5× Redis pub/sub p99 to 4 subscribers');
  assert.equal(redis.value, '3.13 ms vs 1.94 ms (1.61×)');
});
