// @ts-check
// Pure core, fake clock: rolling reload, heartbeat (hung), recycling, spares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runningSim as running, Sim } from '../helpers/core.js';

/** @param {readonly import('../helpers/core.js').Effect[]} effects */
const types = (effects) => effects.map((e) => (e.type === 'emit' ? `emit:${e.event.event}` : e.type === 'arm' || e.type === 'cancel' ? `${e.type}:${e.key}` : `${e.type}:${'wid' in e ? e.wid : ''}`));

test('reload: one replacement at a time; the old worker is stopped only after its replacement is ready', () => {
  const sim = running();
  const [a, b] = sim.state.workers.map((w) => w.wid);
  const spec2 = { ...sim.spec, env: { VERSION: '2' } };
  const start = sim.send({ type: 'reload', spec: spec2 });
  const spawns = sim.spawns(start);
  assert.equal(spawns.length, 1, 'reloadBatch 1: one replacement first');
  assert.equal(spawns[0].slot, sim.worker(a).slot, 'the replacement takes the old slot');
  assert.ok(!start.some((e) => e.type === 'stop-worker'), 'nobody is stopped before a replacement is ready');
  assert.equal(sim.state.spec.env.VERSION, '2');

  const ready1 = sim.boot(spawns[0].wid);
  const t = types(ready1);
  assert.ok(t.indexOf(`stop-worker:${a}`) > t.indexOf('emit:ready'), 'old one stops after the new one is ready');
  const next = sim.spawns(ready1);
  assert.equal(next.length, 1, 'then the next batch');
  assert.equal(next[0].slot, sim.worker(b).slot);

  sim.exit(a, 0);
  const ready2 = sim.boot(next[0].wid);
  assert.ok(types(ready2).includes(`stop-worker:${b}`));
  const done = sim.exit(b, 0);
  const reloaded = sim.emitted('reloaded', done);
  assert.equal(reloaded.length, 1);
  assert.equal(reloaded[0].workers, 2);
  assert.equal(sim.state.reload, undefined);
  assert.equal(sim.state.restartTimes.length, 0, 'a reload is not counted as restarts');
});

test('reload with reloadBatch 2 starts both replacements at once', () => {
  const sim = running({ reloadBatch: 2 });
  const effects = sim.send({ type: 'reload', spec: sim.spec });
  assert.equal(sim.spawns(effects).length, 2);
});

test('reload fails when a replacement is not ready in time: it is stopped, the old worker stays, the old spec is restored', () => {
  const sim = running({ readyTimeoutMs: 1_000 });
  const oldSpec = sim.state.spec;
  const [a] = sim.state.workers.map((w) => w.wid);
  const start = sim.send({ type: 'reload', spec: { ...oldSpec, env: { BROKEN: '1' } } });
  const fresh = sim.spawns(start)[0].wid;
  sim.send({ type: 'spawned', wid: fresh, pid: 5000, random: 0 });
  const fired = sim.advance(1_000);
  const failed = sim.emitted('reload-failed', fired);
  assert.equal(failed.length, 1);
  assert.match(failed[0].message, /not ready within 1000 ms/);
  assert.ok(fired.some((e) => e.type === 'stop-worker' && e.wid === fresh), 'the replacement is stopped');
  assert.ok(!fired.some((e) => e.type === 'stop-worker' && e.wid === a), 'the old worker keeps serving');
  assert.equal(sim.state.spec, oldSpec);
  assert.equal(sim.worker(a).successor, undefined);
  const exit = sim.exit(fresh, null, 'SIGTERM');
  assert.equal(sim.spawns(exit).length, 0, 'the failed replacement is not restarted');
});

test('reload fails when a replacement crashes before ready; a crash later restarts with the previous spec', () => {
  const sim = running();
  const oldSpec = sim.state.spec;
  const [a] = sim.state.workers.map((w) => w.wid);
  const fresh = sim.spawns(sim.send({ type: 'reload', spec: { ...oldSpec, env: { BROKEN: '1' } } }))[0].wid;
  const exit = sim.exit(fresh, 1);
  assert.equal(sim.emitted('reload-failed', exit).length, 1);
  assert.equal(sim.spawns(exit).length, 0);
  assert.equal(sim.state.spec, oldSpec);
  sim.now += 5_000;
  const crash = sim.exit(a, 1);
  assert.equal(sim.spawns(crash).length, 1, 'the crashed old worker is restarted as usual');
});

test('a second reload while one runs is refused', () => {
  const sim = running();
  sim.send({ type: 'reload', spec: sim.spec });
  const second = sim.send({ type: 'reload', spec: sim.spec });
  const refused = sim.emitted('reload-refused', second);
  assert.equal(refused.length, 1);
  assert.match(refused[0].message, /still running/);
  assert.equal(sim.spawns(second).length, 0);
});

test('heartbeat: a ready worker silent for heartbeatTimeoutMs is hung: replacement first, then SIGTERM, then kill at the deadline', () => {
  const sim = running({ instances: 1, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1_000, killTimeoutMs: 500 });
  const [a] = sim.state.workers.map((w) => w.wid);
  sim.now = 900;
  sim.send({ type: 'stats', wid: a, stats: { rss: 1, elu: 0, lagMs: 0, requests: 0 } });
  assert.equal(sim.emitted('hung', sim.advance(1_800)).length, 0, 'the stats re-armed the heartbeat');
  const fired = sim.advance(1_900);
  const hung = sim.emitted('hung', fired);
  assert.equal(hung.length, 1);
  assert.equal(hung[0].silentMs, 1_000);
  const t = types(fired);
  assert.ok(t.findIndex((x) => x.startsWith('spawn:')) < t.indexOf(`stop-worker:${a}`), 'replacement before the stop');
  const killed = sim.advance(2_400);
  assert.ok(killed.some((e) => e.type === 'kill' && e.wid === a));
  const exit = sim.exit(a, null, 'SIGKILL');
  assert.equal(sim.emitted('exit', exit)[0].reason, 'hung');
  assert.equal(sim.spawns(exit).length, 0, 'already replaced');
});

test('recycle on memory: graceful replacement, the old worker stops once the new one is ready', () => {
  const sim = running({ instances: 1, heartbeatIntervalMs: 200, maxMemoryBytes: 100 });
  const [a] = sim.state.workers.map((w) => w.wid);
  const effects = sim.send({ type: 'stats', wid: a, stats: { rss: 150, elu: 0, lagMs: 0, requests: 0 } });
  const recycle = sim.emitted('recycle', effects);
  assert.deepEqual([recycle[0].reason, recycle[0].value], ['memory', 150]);
  const fresh = sim.spawns(effects)[0].wid;
  assert.ok(!effects.some((e) => e.type === 'stop-worker'));
  assert.equal(sim.spawns(sim.send({ type: 'stats', wid: a, stats: { rss: 160, elu: 0, lagMs: 0, requests: 0 } })).length, 0, 'one replacement at a time');
  const ready = sim.boot(fresh);
  assert.ok(ready.some((e) => e.type === 'stop-worker' && e.wid === a));
  assert.equal(sim.emitted('exit', sim.exit(a, 0))[0].reason, 'replaced');
});

test('maxRequests with jitter: the limit is maxRequests + floor(random * (jitter + 1))', () => {
  const sim = new Sim({ instances: 1, maxRequests: 100, maxRequestsJitter: 10 });
  const [spawn] = sim.spawns(sim.send({ type: 'start' }));
  sim.send({ type: 'spawned', wid: spawn.wid, pid: 1, random: 0.5 });
  sim.send({ type: 'listening', wid: spawn.wid, address: 'x' });
  assert.equal(sim.worker(spawn.wid).requestLimit, 105);
  assert.equal(sim.emitted('recycle', sim.send({ type: 'stats', wid: spawn.wid, stats: { rss: 1, elu: 0, lagMs: 0, requests: 104 } })).length, 0);
  const at = sim.emitted('recycle', sim.send({ type: 'stats', wid: spawn.wid, stats: { rss: 1, elu: 0, lagMs: 0, requests: 105 } }));
  assert.equal(at[0].reason, 'max-requests');
});

test('spares: started after the active workers, promoted at once when an active worker dies, then a new spare is spawned', () => {
  const sim = new Sim({ instances: 1, spares: 1 });
  const start = sim.send({ type: 'start' });
  assert.equal(sim.spawns(start).length, 2);
  sim.bootSpawned(start);
  const active = sim.state.workers.find((w) => w.role === 'active');
  const spare = sim.state.workers.find((w) => w.role === 'spare');
  assert.ok(active && spare);
  sim.now = 10_000;
  const exit = sim.exit(active.wid, 1);
  assert.ok(exit.some((e) => e.type === 'join' && e.wid === spare.wid), 'the spare is promoted');
  assert.equal(sim.worker(spare.wid).role, 'active');
  const spawned = sim.spawns(exit);
  assert.equal(spawned.length, 1, 'a new spare behind it');
  assert.equal(sim.state.workers.find((w) => w.wid === spawned[0].wid).role, 'spare');
  assert.equal(sim.state.restartTimes.length, 1, 'the crash still counts in the restart window');
});
