// @ts-check
// Issue 16: recycles are restarts. A worker replaced for maxMemory takes a
// place in the restart window, so a maxMemory below the app's base RSS gives
// up like a crash loop; planned max-requests recycles never do. Fake clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runningSim } from '../helpers/core.js';

const stats = (rss, requests = 0) => ({ rss, elu: 0, lagMs: 0, requests });

/**
 * One recycle of the only worker: stats over the limit, the replacement boots, the old one exits.
 * @param {import('../helpers/core.js').Sim} sim
 */
function recycleOnce(sim, rss, requests = 0) {
  const [old] = sim.state.workers.map((w) => w.wid);
  const effects = sim.send({ type: 'stats', wid: old, stats: stats(rss, requests) });
  const fresh = sim.spawns(effects)[0]?.wid;
  if (fresh === undefined) return effects;
  sim.boot(fresh);
  sim.exit(old, 0);
  return effects;
}

test('a memory recycle loop gives up as a crash loop does: maxRestarts within the window, then DROVER_E_GIVEUP naming maxMemory', () => {
  const sim = runningSim({ instances: 1, heartbeatIntervalMs: 200, maxMemoryBytes: 100, maxRestarts: 3, restartWindowMs: 60_000 });
  for (let i = 0; i < 3; i++) {
    sim.now += 1_000;
    const effects = recycleOnce(sim, 150);
    assert.equal(sim.emitted('recycle', effects).length, 1, `recycle ${i + 1} goes ahead`);
  }
  sim.now += 1_000;
  const last = sim.send({ type: 'stats', wid: sim.state.workers[0].wid, stats: stats(150) });
  assert.equal(sim.emitted('recycle', last).length, 0);
  assert.equal(sim.emitted('giveup', last).length, 1);
  assert.equal(sim.state.outcome?.error?.code, 'DROVER_E_GIVEUP');
  assert.match(sim.state.outcome?.error?.message ?? '', /restarted 4 times within 60000 ms, the last for using 150 bytes of RSS, over maxMemory 100.*raise --max-memory/);
});

test('memory recycles spread wider than the window never give up (the window slides on the monotonic clock)', () => {
  const sim = runningSim({ instances: 1, heartbeatIntervalMs: 200, maxMemoryBytes: 100, maxRestarts: 2, restartWindowMs: 10_000 });
  for (let i = 0; i < 6; i++) {
    sim.now += 6_000;
    assert.equal(sim.emitted('recycle', recycleOnce(sim, 150)).length, 1, `recycle ${i + 1}`);
  }
  assert.equal(sim.state.phase, 'running');
});

test('memory recycles and crashes share one window', () => {
  const sim = runningSim({ instances: 1, heartbeatIntervalMs: 200, maxMemoryBytes: 100, maxRestarts: 2, restartWindowMs: 60_000 });
  sim.now += 1_000;
  recycleOnce(sim, 150);
  sim.now += 1_000;
  recycleOnce(sim, 150);
  sim.now += 1_000;
  const crash = sim.exit(sim.state.workers[0].wid, 1);
  assert.equal(sim.emitted('giveup', crash).length, 1, 'the crash is the third restart within the window');
});

test('max-requests recycles are planned: any number of them within the window never gives up', () => {
  const sim = runningSim({ instances: 1, heartbeatIntervalMs: 200, maxRequests: 10, maxRestarts: 2, restartWindowMs: 60_000 });
  for (let i = 0; i < 8; i++) {
    sim.now += 100;
    assert.equal(sim.emitted('recycle', recycleOnce(sim, 1, 10)).length, 1, `recycle ${i + 1}`);
  }
  assert.equal(sim.state.phase, 'running');
  assert.equal(sim.state.restartTimes.length, 0);
});
