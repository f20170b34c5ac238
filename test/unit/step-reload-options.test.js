// Pure core, fake clock: what a reload may change, option by option. Each
// reloadable option that the shell runs for the whole app takes effect through
// an effect (heartbeat, triggers, strategy) when the new spec is put in force,
// and is put back when the reload fails; a change only a restart can make is
// refused before anything changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sim } from '../helpers/core.js';
import { inBalancer } from '../../dist/core/step.js';

function running(overrides = {}) {
  const sim = new Sim({ instances: 2, ...overrides });
  sim.startAll();
  assert.equal(sim.state.phase, 'running');
  return sim;
}

const ofType = (effects, type) => effects.filter((e) => e.type === type);

/** Replaces every worker the reload spawns, one batch after the other, answering heartbeats meanwhile. */
function completeReload(sim, effects) {
  let spawns = sim.spawns(effects);
  const old = new Set(sim.state.workers.map((w) => w.wid));
  while (spawns.length > 0) {
    const next = [];
    for (const s of spawns) {
      const out = sim.boot(s.wid);
      next.push(...sim.spawns(out));
      for (const w of sim.state.workers) if (w.phase === 'stopping' && old.has(w.wid)) sim.exit(w.wid, 0);
    }
    spawns = next;
  }
  assert.equal(sim.state.reload, undefined, 'the reload finished');
}

test('start: the heartbeat starts with the app, at the interval in force (none when 0 or for executables)', () => {
  assert.deepEqual(ofType(new Sim({ heartbeatIntervalMs: 300 }).send({ type: 'start' }), 'heartbeat'), [{ type: 'heartbeat', intervalMs: 300 }]);
  assert.deepEqual(ofType(new Sim({ heartbeatIntervalMs: 0 }).send({ type: 'start' }), 'heartbeat'), []);
  assert.deepEqual(ofType(new Sim({ heartbeatIntervalMs: 300, mode: 'exec', readyOn: 'online' }).send({ type: 'start' }), 'heartbeat'), []);
});

test('reload heartbeat off → on: the pings start with the new spec, and a worker that answers is never hung', () => {
  const sim = running({ heartbeatIntervalMs: 0, heartbeatTimeoutMs: 1_000 });
  const effects = sim.send({ type: 'reload', spec: { ...sim.spec, heartbeatIntervalMs: 300, heartbeatTimeoutMs: 1_000 } });
  assert.deepEqual(ofType(effects, 'heartbeat'), [{ type: 'heartbeat', intervalMs: 300 }], 'the shell starts pinging now');
  for (const w of sim.state.workers.filter((x) => x.phase === 'ready')) {
    assert.ok(effects.some((e) => e.type === 'arm' && e.key === `hb:${w.wid}`), `running worker ${w.wid} is watched from now on`);
  }
  completeReload(sim, effects);
  // Every worker answers each ping (the shell pings every 300 ms): nobody is hung.
  const t0 = sim.now;
  for (let t = t0 + 300; t <= t0 + 3_500; t += 300) {
    sim.advance(t);
    for (const w of sim.state.workers) sim.send({ type: 'stats', wid: w.wid, stats: { rss: 1, elu: 0, lagMs: 0, requests: 0 } });
  }
  assert.deepEqual(sim.emitted('hung'), []);
  // And a worker that stops answering is found: the heartbeat really is on.
  const silent = sim.state.workers.map((w) => w.wid);
  sim.advance(sim.now + 1_000);
  assert.deepEqual(sim.emitted('hung').map((e) => e.wid).sort(), silent.sort());
});

test('reload heartbeat on → off: the pings stop and no armed heartbeat timer can fire', () => {
  const sim = running({ heartbeatIntervalMs: 300, heartbeatTimeoutMs: 1_000 });
  const armed = sim.state.workers.map((w) => `hb:${w.wid}`);
  assert.ok(armed.every((k) => sim.timers.has(k)));
  const effects = sim.send({ type: 'reload', spec: { ...sim.spec, heartbeatIntervalMs: 0 } });
  assert.deepEqual(ofType(effects, 'heartbeat'), [{ type: 'heartbeat', intervalMs: 0 }]);
  assert.ok(armed.every((k) => !sim.timers.has(k)), 'every hb timer cancelled');
  completeReload(sim, effects);
  sim.advance(sim.now + 10_000);
  assert.deepEqual(sim.emitted('hung'), []);
});

test('reload heartbeat interval change: the new interval; unchanged: no heartbeat effect', () => {
  const sim = running({ heartbeatIntervalMs: 300, heartbeatTimeoutMs: 5_000 });
  assert.deepEqual(ofType(sim.send({ type: 'reload', spec: { ...sim.spec, heartbeatIntervalMs: 1_000 } }), 'heartbeat'), [{ type: 'heartbeat', intervalMs: 1_000 }]);
  const again = running({ heartbeatIntervalMs: 300 });
  assert.deepEqual(ofType(again.send({ type: 'reload', spec: { ...again.spec, env: { V: '2' } } }), 'heartbeat'), []);
});

test('a failed reload puts the previous heartbeat back', () => {
  const sim = running({ heartbeatIntervalMs: 0, heartbeatTimeoutMs: 1_000 });
  const effects = sim.send({ type: 'reload', spec: { ...sim.spec, heartbeatIntervalMs: 300 } });
  const [fresh] = sim.spawns(effects);
  const failed = sim.exit(fresh.wid, 1);
  assert.equal(sim.emitted('reload-failed', failed).length, 1);
  assert.deepEqual(ofType(failed, 'heartbeat'), [{ type: 'heartbeat', intervalMs: 0 }]);
  assert.equal(sim.state.spec.heartbeatIntervalMs, 0);
  sim.advance(sim.now + 10_000);
  assert.deepEqual(sim.emitted('hung'), [], 'the old workers are not watched by a heartbeat that was put back off');
});

test('triggers: set when the app runs (not before), replaced by a reload that changes watch or cron, put back when it fails', () => {
  const sim = new Sim({ instances: 1, watch: ['src/**'], cronRestart: '0 3 * * *' });
  const start = sim.send({ type: 'start' });
  assert.deepEqual(ofType(start, 'triggers'), [], 'reloads are refused while starting: no trigger yet');
  const booted = sim.boot(sim.spawns(start)[0].wid);
  assert.deepEqual(ofType(booted, 'triggers').map((e) => e.triggers), [{ cwd: sim.spec.cwd, watch: ['src/**'], watchDebounceMs: sim.spec.watchDebounceMs, cronRestart: '0 3 * * *' }]);

  const reload = sim.send({ type: 'reload', spec: { ...sim.spec, watch: false, cronRestart: '*/5 * * * *' } });
  assert.deepEqual(ofType(reload, 'triggers').map((e) => [e.triggers.watch, e.triggers.cronRestart]), [[false, '*/5 * * * *']]);
  const failed = sim.exit(sim.spawns(reload)[0].wid, 1);
  assert.deepEqual(ofType(failed, 'triggers').map((e) => [e.triggers.watch, e.triggers.cronRestart]), [[['src/**'], '0 3 * * *']], 'back to the previous triggers');

  const none = running();
  assert.deepEqual(ofType(none.log, 'triggers'), [], 'no watch, no cron: no triggers');
  assert.deepEqual(ofType(none.send({ type: 'reload', spec: { ...none.spec, watch: true } }), 'triggers').map((e) => e.triggers.watch), [true]);
  const same = running({ watch: ['a/**'] });
  assert.deepEqual(ofType(same.send({ type: 'reload', spec: { ...same.spec, watch: ['a/**'] } }), 'triggers'), [], 'equal globs: nothing to replace');
});

test('strategy: a reload between master-balanced strategies switches the listeners; a failed one switches back', () => {
  const sim = running({ balance: 'round-robin' });
  const effects = sim.send({ type: 'reload', spec: { ...sim.spec, balance: 'least-connections' } });
  assert.deepEqual(ofType(effects, 'strategy'), [{ type: 'strategy', name: 'least-connections' }]);
  const failed = sim.exit(sim.spawns(effects)[0].wid, 1);
  assert.deepEqual(ofType(failed, 'strategy'), [{ type: 'strategy', name: 'round-robin' }]);
  assert.equal(sim.state.spec.balance, 'round-robin');
});

for (const [what, from, to] of [
  ['round-robin → kernel', { balance: 'round-robin' }, { balance: 'kernel' }],
  ['kernel → reuseport', { balance: 'kernel' }, { balance: 'reuseport' }],
  ['reuseport → sticky', { balance: 'reuseport' }, { balance: 'sticky' }],
  ['Node workers → an executable', {}, { mode: 'exec', readyOn: 'online' }],
]) {
  test(`refused before anything changes: ${what} needs a restart (DROVER_E_RELOAD_NEEDS_RESTART)`, () => {
    const sim = running({ ...from, heartbeatIntervalMs: 0 });
    const before = sim.state;
    const effects = sim.send({ type: 'reload', spec: { ...sim.spec, ...to, heartbeatIntervalMs: 300, watch: true } });
    const [refused] = sim.emitted('reload-refused', effects);
    assert.equal(refused.code, 'DROVER_E_RELOAD_NEEDS_RESTART');
    assert.match(refused.message, /restart the app/);
    assert.deepEqual(effects.map((e) => e.type), ['emit'], 'nothing but the refusal: no spawn, no heartbeat, no triggers');
    assert.equal(sim.state.spec, before.spec);
    assert.equal(sim.state.reload, undefined);
  });
}

test('other refusals keep their code: a second reload while one runs', () => {
  const sim = running();
  sim.send({ type: 'reload', spec: sim.spec });
  const [refused] = sim.emitted('reload-refused', sim.send({ type: 'reload', spec: sim.spec }));
  assert.equal(refused.code, 'DROVER_E_RELOAD_REFUSED');
});

test('balancer membership is the core\'s: leave before every stop, join on promotion, inBalancer() for a new listen', () => {
  const sim = running({ spares: 1 });
  const [a] = sim.state.workers.filter((w) => w.role === 'active');
  const spare = sim.state.workers.find((w) => w.role === 'spare');
  assert.equal(inBalancer(a), true);
  assert.equal(inBalancer(spare), false, 'a spare listens but gets no connections');
  const exit = sim.exit(a.wid, 1);
  assert.ok(exit.some((e) => e.type === 'join' && e.wid === spare.wid), 'the promoted spare joins');
  assert.equal(inBalancer(sim.worker(spare.wid)), true);

  const stop = sim.send({ type: 'stop' });
  for (const s of ofType(stop, 'stop-worker')) {
    const i = stop.findIndex((e) => e.type === 'leave' && e.wid === s.wid);
    assert.ok(i >= 0 && i < stop.indexOf(s), `worker ${s.wid} leaves the balancer before it is told to stop`);
    assert.equal(inBalancer(sim.worker(s.wid)), false);
  }
});

test('a worker whose graceful successor still boots keeps serving; one that crashed does not', () => {
  const sim = running({ heartbeatIntervalMs: 0 });
  const [a, b] = sim.state.workers;
  sim.send({ type: 'reload', spec: sim.spec });
  assert.notEqual(sim.worker(a.wid).successor, undefined);
  assert.equal(inBalancer(sim.worker(a.wid)), true, 'until its successor is ready');
  sim.send({ type: 'exiting', wid: b.wid, error: 'boom' });
  assert.equal(inBalancer(sim.worker(b.wid)), false);
});
